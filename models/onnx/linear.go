package onnx

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/mmatransfer/mma/models/internal/ops"
)

// buildMatMul multiplies with numpy's matmul rules: a vector operand gains
// an axis of size 1 that the result drops, and the axes before the last two
// broadcast, so rank-3 and rank-4 products (attention) work.
func buildMatMul(b *builder, op operation, in []*value) (*value, error) {
	x, y := in[0], in[1]
	if len(x.shape) == 0 || len(y.shape) == 0 {
		return nil, fmt.Errorf("shapes %v and %v, expected no scalars", x.shape, y.shape)
	}
	if len(x.shape) == 2 && len(y.shape) == 2 && !x.isConstant() && y.floats != nil {
		return linear(b, x, transposed(y.floats, y.shape[0], y.shape[1]), y.shape[1], nil)
	}

	xs, ys := x.shape, y.shape
	if len(xs) == 1 {
		xs = []int{1, xs[0]}
	}
	if len(ys) == 1 {
		ys = []int{ys[0], 1}
	}
	k, err := matMulKernel(xs, ys)
	if err != nil {
		return nil, err
	}
	out := k.output
	switch {
	case len(x.shape) == 1 && len(y.shape) == 1:
		out = nil
	case len(x.shape) == 1:
		out = append(append([]int{}, out[:len(out)-2]...), out[len(out)-1])
	case len(y.shape) == 1:
		out = out[:len(out)-1]
	}
	k.inputs = [][]int{x.shape, y.shape}
	k.output = out
	return b.apply(k, x, y)
}

// matMulKernel multiplies a batch of xs[-2] x xs[-1] matrices by a batch
// of ys[-2] x ys[-1] matrices, both of rank 2 or more.
func matMulKernel(xs, ys []int) (*kernel, error) {
	rows, inner, cols := xs[len(xs)-2], xs[len(xs)-1], ys[len(ys)-1]
	if ys[len(ys)-2] != inner {
		return nil, fmt.Errorf("shapes %v and %v do not multiply", xs, ys)
	}
	batch, err := broadcastShape(xs[:len(xs)-2], ys[:len(ys)-2])
	if err != nil {
		return nil, err
	}
	xBatch := broadcastIndex(xs[:len(xs)-2], batch)
	yBatch := broadcastIndex(ys[:len(ys)-2], batch)
	xSize, ySize, outSize := rows*inner, inner*cols, rows*cols

	return &kernel{
		name:   "MatMul",
		inputs: [][]int{xs, ys},
		output: append(append([]int{}, batch...), rows, cols),
		forward: func(out []float32, in [][]float32) {
			for p := range xBatch {
				a := in[0][xBatch[p]*xSize : (xBatch[p]+1)*xSize]
				c := in[1][yBatch[p]*ySize : (yBatch[p]+1)*ySize]
				z := out[p*outSize : (p+1)*outSize]
				for i := 0; i < rows; i++ {
					row := z[i*cols : (i+1)*cols]
					clear(row)
					for k, av := range a[i*inner : (i+1)*inner] {
						for j, cv := range c[k*cols : (k+1)*cols] {
							row[j] += av * cv
						}
					}
				}
			}
		},
		backward: func(input int, dx []float32, in [][]float32, _, dy []float32) {
			for p := range xBatch {
				a := in[0][xBatch[p]*xSize : (xBatch[p]+1)*xSize]
				c := in[1][yBatch[p]*ySize : (yBatch[p]+1)*ySize]
				g := dy[p*outSize : (p+1)*outSize]
				if input == 0 {
					da := dx[xBatch[p]*xSize : (xBatch[p]+1)*xSize]
					for i := 0; i < rows; i++ {
						for k := 0; k < inner; k++ {
							var s float32
							for j := 0; j < cols; j++ {
								s += g[i*cols+j] * c[k*cols+j]
							}
							da[i*inner+k] += s
						}
					}
					continue
				}
				dc := dx[yBatch[p]*ySize : (yBatch[p]+1)*ySize]
				for i := 0; i < rows; i++ {
					for k := 0; k < inner; k++ {
						av := a[i*inner+k]
						for j := 0; j < cols; j++ {
							dc[k*cols+j] += av * g[i*cols+j]
						}
					}
				}
			}
		},
	}, nil
}

// buildGemm computes alpha * A' * B' + beta * C, where A' and B' are A and
// B transposed when transA and transB are set, and C broadcasts. With a
// constant B and a constant C of one row or none, it runs as the Linear op
// of models/internal/ops, with alpha and beta folded into the constants.
// Otherwise it runs as MatMul, Mul and Add.
func buildGemm(b *builder, op operation, in []*value) (*value, error) {
	a, bm := in[0], in[1]
	if len(a.shape) != 2 || len(bm.shape) != 2 {
		return nil, fmt.Errorf("shapes %v and %v, expected two matrices", a.shape, bm.shape)
	}
	transA, err1 := intAttribute(op.attrs, "transA", 0)
	transB, err2 := intAttribute(op.attrs, "transB", 0)
	alpha, err3 := floatAttribute(op.attrs, "alpha", 1)
	beta, err4 := floatAttribute(op.attrs, "beta", 1)
	if err := firstError(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	var c *value
	if len(in) > 2 && in[2] != nil {
		c = in[2]
	}

	inner := a.shape[1]
	if transA != 0 {
		inner = a.shape[0]
	}
	outs := bm.shape[1]
	if transB != 0 {
		outs = bm.shape[0]
	}
	if inner != bm.shape[0] && transB == 0 || inner != bm.shape[1] && transB != 0 {
		return nil, fmt.Errorf("shapes %v and %v do not multiply (transA=%d, transB=%d)",
			a.shape, bm.shape, transA, transB)
	}

	if transA == 0 && !a.isConstant() && bm.floats != nil && (c == nil || c.floats != nil &&
		size(c.shape) == outs && (len(c.shape) == 1 || len(c.shape) == 2 && c.shape[0] == 1)) {
		weight := append([]float32{}, bm.floats...)
		if transB == 0 {
			weight = transposed(bm.floats, bm.shape[0], bm.shape[1])
		}
		scaleAll(weight, alpha)
		var bias []float32
		if c != nil {
			bias = append([]float32{}, c.floats...)
			scaleAll(bias, beta)
		}
		return linear(b, a, weight, outs, bias)
	}
	return generalGemm(b, a, bm, c, transA != 0, transB != 0, alpha, beta)
}

func generalGemm(b *builder, a, bm, c *value, transA, transB bool,
	alpha, beta float32) (*value, error) {
	var err error
	if transA {
		if a, err = b.transpose(a); err != nil {
			return nil, err
		}
	}
	if transB {
		if bm, err = b.transpose(bm); err != nil {
			return nil, err
		}
	}
	k, err := matMulKernel(a.shape, bm.shape)
	if err != nil {
		return nil, err
	}
	product, err := b.apply(k, a, bm)
	if err != nil {
		return nil, err
	}
	if alpha != 1 {
		if product, err = b.binary(multiplication, product, scalar(alpha)); err != nil {
			return nil, err
		}
	}
	if c == nil {
		return product, nil
	}
	if beta != 1 {
		if c, err = b.binary(multiplication, c, scalar(beta)); err != nil {
			return nil, err
		}
	}
	return b.binary(addition, product, c)
}

// transpose swaps the two axes of a matrix.
func (b *builder) transpose(m *value) (*value, error) {
	rows, cols := m.shape[0], m.shape[1]
	src := make([]int, rows*cols)
	for j := 0; j < cols; j++ {
		for i := 0; i < rows; i++ {
			src[j*rows+i] = i*cols + j
		}
	}
	return b.move("Transpose", []int{cols, rows}, src, 0, m)
}

func scalar(f float32) *value { return &value{floats: []float32{f}} }

// linear adds x times the transpose of weight (outs x in) plus bias
// (nil for none) with the Linear op of models/internal/ops.
func linear(b *builder, x *value, weight []float32, outs int, bias []float32) (*value, error) {
	ins := x.shape[1]
	wn, err := b.nodeOf(&value{shape: []int{outs, ins}, floats: weight})
	if err != nil {
		return nil, err
	}
	var bn *gorgonia.Node
	if bias != nil {
		if bn, err = b.nodeOf(&value{shape: []int{outs}, floats: bias}); err != nil {
			return nil, err
		}
	}
	return wrap(ops.Linear(x.node, wn, bn))
}

// transposed returns the rows x cols matrix m transposed.
func transposed(m []float32, rows, cols int) []float32 {
	t := make([]float32, len(m))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			t[j*rows+i] = m[i*cols+j]
		}
	}
	return t
}

func scaleAll(values []float32, factor float32) {
	for i := range values {
		values[i] *= factor
	}
}
