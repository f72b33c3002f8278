package models

import (
	"runtime"
	"sync"
	"weak"

	"gorgonia.org/gorgonia"
)

// Buffered is a Net (or part of one) with state that is not trained by
// gradients, such as BatchNorm's running statistics. Checkpoints save
// buffers with the parameters; optimisers never see them.
type Buffered interface {
	// Buffers returns the state tensors in a fixed order.
	Buffers() []*Param
}

// State returns everything a checkpoint of net holds: its Params, then its
// Buffers when it implements Buffered.
func State(net Net) []*Param {
	state := net.Params()
	if buffered, ok := net.(Buffered); ok {
		state = append(state, buffered.Buffers()...)
	}
	return state
}

// A Train-mode forward pass registers, per graph, the functions that
// update running statistics from the values the graph read during its
// last run. The runner takes them when it builds a graph and calls them
// after every training step, so the Net interface stays as it is and the
// graph is built once. Keys are weak so that a graph built outside the
// runner (in tests, say) is not kept alive by its entry.
var stateUpdates = struct {
	sync.Mutex
	byGraph map[weak.Pointer[gorgonia.ExprGraph]][]stateUpdate
}{byGraph: make(map[weak.Pointer[gorgonia.ExprGraph]][]stateUpdate)}

// stateUpdate is one registered update.
type stateUpdate struct {
	// read is the gorgonia.Read node that copies the values run uses. The
	// runner keeps it in the graph's machine, which runs only the nodes
	// its outputs need.
	read *gorgonia.Node

	// run updates the state after a training step.
	run func()
}

// addStateUpdate registers update to run after each training step of g,
// from the values the Read node read copies. update must not refer to g,
// or g would never be collected.
func addStateUpdate(g *gorgonia.ExprGraph, read *gorgonia.Node, update func()) {
	key := weak.Make(g)

	stateUpdates.Lock()
	defer stateUpdates.Unlock()
	if _, ok := stateUpdates.byGraph[key]; !ok {
		runtime.AddCleanup(g, forgetStateUpdates, key)
	}
	stateUpdates.byGraph[key] = append(stateUpdates.byGraph[key],
		stateUpdate{read: read, run: update})
}

// takeStateUpdates returns the updates registered for g and removes them
// from the registry. Until they are taken, g stays in memory, because each
// update's Read node refers to it.
func takeStateUpdates(g *gorgonia.ExprGraph) []stateUpdate {
	key := weak.Make(g)

	stateUpdates.Lock()
	defer stateUpdates.Unlock()
	updates := stateUpdates.byGraph[key]
	delete(stateUpdates.byGraph, key)
	return updates
}

func forgetStateUpdates(key weak.Pointer[gorgonia.ExprGraph]) {
	stateUpdates.Lock()
	defer stateUpdates.Unlock()
	delete(stateUpdates.byGraph, key)
}
