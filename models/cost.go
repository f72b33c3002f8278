package models

import "fmt"

// SequentialNet is a Net made of Sequentials, which CountCost can walk
// layer by layer. Backbone implements it.
type SequentialNet interface {
	// Sequentials returns every Sequential of the net once, in forward
	// order.
	Sequentials() []*Sequential
}

// LayerCost is the size and compute of one layer for one image.
type LayerCost struct {
	// Name is the layer's path, such as "stage2.0", the prefix of its
	// parameter names.
	Name string

	Kind LayerKind

	// Output is the layer's output shape without the batch axis.
	Output []int

	// Params is the number of trainable values. BatchNorm buffers are not
	// counted.
	Params int

	// MultiplyAdds is the number of multiply-accumulate operations of the
	// layer's conv and linear products for one image. A conv counts
	// Out x H' x W' x C x K x K and a linear layer In x Out. A BasicBlock
	// counts its two convs and its projection. Bias additions, BatchNorm,
	// activations, pooling and skip additions count 0.
	MultiplyAdds int64
}

// Cost lists the LayerCost of every layer of a net and their totals.
type Cost struct {
	Layers       []LayerCost
	Params       int
	MultiplyAdds int64
}

// CountCost returns the parameters and multiply-adds per image of every
// layer of net (see LayerCost for what is counted). An MMA's multiply-adds
// are those of its shared stages plus all its tracks.
func CountCost(net SequentialNet) Cost {
	var cost Cost
	for _, s := range net.Sequentials() {
		for _, layer := range s.LayerCosts() {
			cost.Layers = append(cost.Layers, layer)
			cost.Params += layer.Params
			cost.MultiplyAdds += layer.MultiplyAdds
		}
	}
	return cost
}

// LayerCosts returns the cost of each layer of s for one image.
func (s *Sequential) LayerCosts() []LayerCost {
	costs := make([]LayerCost, len(s.layers))
	shape := s.input
	for i, l := range s.layers {
		out, err := layerOutShape(l, shape)
		if err != nil {
			// NewSequential checked every layer against these shapes.
			panic(fmt.Sprintf("layer %d of %q no longer fits its input: %v", i, s.name, err))
		}
		costs[i] = LayerCost{
			Name:         s.paramPrefix(i),
			Kind:         l.Kind,
			Output:       out,
			Params:       paramCount(s.layerParams[i]),
			MultiplyAdds: layerMultiplyAdds(l, shape, out),
		}
		shape = out
	}
	return costs
}

func paramCount(params []*Param) int {
	n := 0
	for _, p := range params {
		n += p.Value.Shape().TotalSize()
	}
	return n
}

// layerMultiplyAdds counts the multiply-accumulates of l for one image
// with input shape in and output shape out.
func layerMultiplyAdds(l Layer, in, out []int) int64 {
	switch l.Kind {
	case Conv:
		return convMultiplyAdds(in[0], out, l.Kernel)
	case Linear:
		return int64(in[0]) * int64(out[0])
	case BasicBlock:
		total := convMultiplyAdds(in[0], out, l.Kernel) + convMultiplyAdds(out[0], out, l.Kernel)
		if needsProjection(l, in[0]) {
			total += convMultiplyAdds(in[0], out, 1)
		}
		return total
	default:
		return 0
	}
}

// convMultiplyAdds counts a conv with inChannels inputs, a kernel x kernel
// kernel and output shape out (O x H' x W').
func convMultiplyAdds(inChannels int, out []int, kernel int) int64 {
	return int64(product(out)) * int64(inChannels*kernel*kernel)
}
