package models

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/tensor"
)

// runSequential runs s in Eval mode on x and returns the output values.
func runSequential(t *testing.T, s *Sequential, x *tensor.Dense) []float32 {
	t.Helper()
	return runSequentials(t, x, s)
}

// referenceLayer computes one parameter-free layer on image x (C x H x W)
// directly.
func referenceLayer(l Layer, x []float32, c, h, w int) []float32 {
	switch l.Kind {
	case GlobalAvgPool:
		out := make([]float32, c)
		for ch := range c {
			var sum float64
			for _, v := range x[ch*h*w : (ch+1)*h*w] {
				sum += float64(v)
			}
			out[ch] = float32(sum / float64(h*w))
		}
		return out
	case AvgPool, MaxPool:
		return referencePool(l, x, c, h, w)
	}

	out := make([]float32, len(x))
	for i, v := range x {
		f := float64(v)
		switch l.Kind {
		case LeakyReLU:
			f = math.Max(f, 0) + LeakyReLUSlope*math.Min(f, 0)
		case Softplus:
			f = math.Log1p(math.Exp(f))
		case GELU:
			f = 0.5 * f * (1 + math.Erf(f/math.Sqrt2))
		}
		out[i] = float32(f)
	}
	return out
}

func referencePool(l Layer, x []float32, c, h, w int) []float32 {
	k, stride := l.Kernel, poolStride(l)
	outH, outW := (h-k)/stride+1, (w-k)/stride+1
	out := make([]float32, 0, c*outH*outW)
	for ch := range c {
		for oy := range outH {
			for ox := range outW {
				sum, best := 0.0, math.Inf(-1)
				for ky := range k {
					for kx := range k {
						v := float64(x[(ch*h+oy*stride+ky)*w+ox*stride+kx])
						sum += v
						best = math.Max(best, v)
					}
				}
				if l.Kind == AvgPool {
					out = append(out, float32(sum/float64(k*k)))
				} else {
					out = append(out, float32(best))
				}
			}
		}
	}
	return out
}

func TestParameterFreeLayerValues(t *testing.T) {
	layers := []Layer{
		{Kind: LeakyReLU}, {Kind: Softplus}, {Kind: GELU}, {Kind: GlobalAvgPool},
		{Kind: AvgPool, Kernel: 2}, {Kind: AvgPool, Kernel: 3, Stride: 1},
		{Kind: MaxPool, Kernel: 2}, {Kind: MaxPool, Kernel: 3, Stride: 2},
	}
	c, h, w := 3, 5, 5
	rng := rand.New(rand.NewSource(1))
	x := randomImages(rng, 2, c, h, w)
	data := x.Data().([]float32)
	for i := range data {
		data[i] = 4*data[i] - 2
	}

	for _, l := range layers {
		s, err := NewSequential("", []int{c, h, w}, []Layer{l}, rng)
		if err != nil {
			t.Fatalf("%+v: %v", l, err)
		}
		got := runSequential(t, s, x)
		size := len(got) / 2
		for image := range 2 {
			want := referenceLayer(l, data[image*c*h*w:(image+1)*c*h*w], c, h, w)
			for j, v := range want {
				// GELU's tanh form differs from the erf form by less than 1e-3.
				if !closeEnough(float64(got[image*size+j]), float64(v), 1e-3, 1e-5) {
					t.Errorf("%+v image %d value %d: %g, want %g",
						l, image, j, got[image*size+j], v)
					break
				}
			}
		}
	}
}

func TestConvAndLinearValues(t *testing.T) {
	c, h, w := 2, 5, 4
	conv := Layer{Kind: Conv, Out: 3, Kernel: 3, Stride: 2, Pad: 1}
	rng := rand.New(rand.NewSource(2))
	s, err := NewSequential("", []int{c, h, w},
		[]Layer{conv, {Kind: Flatten}, {Kind: Linear, Out: 2}}, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(rng, 1, c, h, w)
	got := runSequential(t, s, x)

	params := s.Params()
	features := referenceConv(conv, x.Data().([]float32), c, h, w,
		params[0].Value.Data().([]float32), params[1].Value.Data().([]float32))
	weight := params[2].Value.Data().([]float32)
	bias := params[3].Value.Data().([]float32)
	for o := range 2 {
		want := float64(bias[o])
		for i, f := range features {
			want += float64(weight[o*len(features)+i]) * float64(f)
		}
		if !closeEnough(float64(got[o]), want, 1e-5, 1e-5) {
			t.Errorf("output %d: %g, want %g", o, got[o], want)
		}
	}
}

// referenceConv computes a convolution of one image directly, with an OIHW
// weight.
func referenceConv(l Layer, x []float32, c, h, w int, weight, bias []float32) []float32 {
	k, stride := l.Kernel, convStride(l)
	outH := (h+2*l.Pad-k)/stride + 1
	outW := (w+2*l.Pad-k)/stride + 1
	out := make([]float32, 0, l.Out*outH*outW)
	for o := range l.Out {
		for oy := range outH {
			for ox := range outW {
				sum := float64(bias[o])
				for ch := range c {
					for ky := range k {
						for kx := range k {
							y, xx := oy*stride+ky-l.Pad, ox*stride+kx-l.Pad
							if y < 0 || y >= h || xx < 0 || xx >= w {
								continue
							}
							sum += float64(weight[((o*c+ch)*k+ky)*k+kx]) *
								float64(x[(ch*h+y)*w+xx])
						}
					}
				}
				out = append(out, float32(sum))
			}
		}
	}
	return out
}
