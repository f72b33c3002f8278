package onnxexport

import (
	"fmt"

	"github.com/mmatransfer/mma/models"
)

// graph collects the nodes and initializers of the exported model and
// gives every value a unique name.
type graph struct {
	nodes        []node
	initializers []message
	used         map[string]bool
	constants    map[float32]string
}

func newGraph() *graph {
	return &graph{used: map[string]bool{InputName: true, OutputName: true},
		constants: map[float32]string{}}
}

// fresh returns base, or base with a numeric suffix when base is taken.
func (g *graph) fresh(base string) string {
	name := base
	for i := 1; g.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	g.used[name] = true
	return name
}

// add appends a node of type op reading inputs and returns the name of its
// output, derived from base.
func (g *graph) add(op, base string, inputs []string, attrs ...attribute) string {
	out := g.fresh(base)
	g.nodes = append(g.nodes, node{name: out, opType: op, inputs: inputs,
		outputs: []string{out}, attrs: attrs})
	return out
}

// param adds p's value as an initializer named after p and returns that
// name.
func (g *graph) param(p *models.Param) (string, error) {
	values, ok := p.Value.Data().([]float32)
	if !ok {
		return "", fmt.Errorf("parameter %s has values of type %T, want []float32", p.Name, p.Value.Data())
	}
	shape := []int(p.Value.Shape())
	if size := p.Value.Shape().TotalSize(); len(values) != size {
		return "", fmt.Errorf("parameter %s has %d values for shape %v, want %d", p.Name,
			len(values), shape, size)
	}
	name := g.fresh(p.Name)
	g.initializers = append(g.initializers, tensorProto(name, shape, values))
	return name, nil
}

// constant returns the name of a float32 scalar initializer holding v,
// adding it on first use.
func (g *graph) constant(v float32) string {
	if name, ok := g.constants[v]; ok {
		return name
	}
	name := g.fresh(fmt.Sprintf("const_%g", v))
	g.initializers = append(g.initializers, tensorProto(name, nil, []float32{v}))
	g.constants[v] = name
	return name
}

// mulConst returns x * v, and addConst x + v.
func (g *graph) mulConst(x, base string, v float32) string {
	return g.add("Mul", base, []string{x, g.constant(v)})
}

func (g *graph) addConst(x, base string, v float32) string {
	return g.add("Add", base, []string{x, g.constant(v)})
}

// rename makes the last node's output the given name, so the graph's
// final value carries the name of the model output.
func (g *graph) rename(value, name string) error {
	for i := len(g.nodes) - 1; i >= 0; i-- {
		outputs := g.nodes[i].outputs
		for j, out := range outputs {
			if out == value {
				outputs[j] = name
				return nil
			}
		}
	}
	return fmt.Errorf("value %q is not the output of any node", value)
}

// paramCursor hands out a Sequential's parameters or buffers in order and
// checks that each one belongs to the layer that takes it.
type paramCursor struct {
	params []*models.Param
	next   int
	what   string
}

// take returns the next parameter, which must be called name.
func (c *paramCursor) take(name string) (*models.Param, error) {
	if c.next >= len(c.params) {
		return nil, fmt.Errorf("%s %s is missing: the Sequential has only %d of them", c.what,
			name, len(c.params))
	}
	p := c.params[c.next]
	if p.Name != name {
		return nil, fmt.Errorf("%s %d is %s, want %s", c.what, c.next, p.Name, name)
	}
	c.next++
	return p, nil
}

// peek reports whether the next parameter is called name.
func (c *paramCursor) peek(name string) bool {
	return c.next < len(c.params) && c.params[c.next].Name == name
}
