package datasets

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Luminance weights of ITU-R BT.601, which also PIL's convert("L") uses,
// for turning RGB into one grey channel.
const (
	lumaRed   = 0.299
	lumaGreen = 0.587
	lumaBlue  = 0.114
)

// planes is an image as float32 values in [0, 1], channel after channel,
// each channel in row-major order.
type planes struct {
	channels, height, width int
	values                  []float32
}

// at returns the value of channel c at row y and column x.
func (p *planes) at(c, y, x int) float32 {
	return p.values[(c*p.height+y)*p.width+x]
}

// imagePlanes converts img to planes: 1 channel for grey images (image.Gray
// and image.Gray16), 3 channels (R, G, B) for all others. Alpha is
// dropped: non-premultiplied colours are kept as they are, and
// premultiplied ones (image.RGBA) as stored.
func imagePlanes(img image.Image) planes {
	bounds := img.Bounds()
	height, width := bounds.Dy(), bounds.Dx()

	switch img := img.(type) {
	case *image.Gray:
		p := newPlanes(1, height, width)
		for y := range height {
			row := img.Pix[y*img.Stride : y*img.Stride+width]
			for x, v := range row {
				p.values[y*width+x] = byteToUnit[v]
			}
		}
		return p
	case *image.Gray16:
		p := newPlanes(1, height, width)
		for y := range height {
			for x := range width {
				v := img.Gray16At(bounds.Min.X+x, bounds.Min.Y+y).Y
				p.values[y*width+x] = float32(v) / math.MaxUint16
			}
		}
		return p
	case *image.YCbCr:
		return yCbCrPlanes(img)
	case *image.NRGBA:
		return interleavedPlanes(img.Pix, img.Stride, height, width)
	case *image.RGBA:
		return interleavedPlanes(img.Pix, img.Stride, height, width)
	}
	return genericPlanes(img)
}

// newPlanes returns zeroed planes of the given size.
func newPlanes(channels, height, width int) planes {
	values := make([]float32, channels*height*width)
	return planes{channels: channels, height: height, width: width, values: values}
}

// interleavedPlanes converts 8-bit R, G, B, A samples, stride bytes a row,
// to 3 planes.
func interleavedPlanes(pix []uint8, stride, height, width int) planes {
	p := newPlanes(3, height, width)
	area := height * width
	for y := range height {
		row := pix[y*stride : y*stride+4*width]
		for x := range width {
			i := y*width + x
			p.values[i] = byteToUnit[row[4*x]]
			p.values[area+i] = byteToUnit[row[4*x+1]]
			p.values[2*area+i] = byteToUnit[row[4*x+2]]
		}
	}
	return p
}

// yCbCrPlanes converts a decoded JPEG's Y'CbCr samples to 3 RGB planes
// with the standard library's JFIF conversion.
func yCbCrPlanes(img *image.YCbCr) planes {
	bounds := img.Bounds()
	height, width := bounds.Dy(), bounds.Dx()
	p := newPlanes(3, height, width)
	area := height * width
	for y := range height {
		for x := range width {
			sx, sy := bounds.Min.X+x, bounds.Min.Y+y
			yi, ci := img.YOffset(sx, sy), img.COffset(sx, sy)
			r, g, b := color.YCbCrToRGB(img.Y[yi], img.Cb[ci], img.Cr[ci])
			i := y*width + x
			p.values[i] = byteToUnit[r]
			p.values[area+i] = byteToUnit[g]
			p.values[2*area+i] = byteToUnit[b]
		}
	}
	return p
}

// genericPlanes converts any image to 3 planes through its colour model,
// one At call a pixel. It serves paletted PNGs, 16-bit colour and CMYK.
func genericPlanes(img image.Image) planes {
	bounds := img.Bounds()
	height, width := bounds.Dy(), bounds.Dx()
	p := newPlanes(3, height, width)
	area := height * width
	for y := range height {
		for x := range width {
			c := color.NRGBA64Model.Convert(img.At(bounds.Min.X+x, bounds.Min.Y+y))
			rgb := c.(color.NRGBA64)
			i := y*width + x
			p.values[i] = float32(rgb.R) / math.MaxUint16
			p.values[area+i] = float32(rgb.G) / math.MaxUint16
			p.values[2*area+i] = float32(rgb.B) / math.MaxUint16
		}
	}
	return p
}

// resizedSize returns the size an image of height x width takes before a
// centre crop of cropHeight x cropWidth. A positive shorter sets the length
// of the shorter side, the longer one scaled in proportion and truncated
// as torchvision's Resize does. Zero picks the smallest size at which the
// image covers the crop, so an image of the crop's size stays unchanged.
func resizedSize(height, width, cropHeight, cropWidth, shorter int) (int, int) {
	if shorter > 0 {
		if height <= width {
			return shorter, max(1, width*shorter/height)
		}
		return max(1, height*shorter/width), shorter
	}

	// The crop's side ratio against the image's decides which side fits.
	if cropHeight*width >= cropWidth*height {
		return cropHeight, max(cropWidth, roundDiv(width*cropHeight, height))
	}
	return max(cropHeight, roundDiv(height*cropWidth, width)), cropWidth
}

// roundDiv returns a/b rounded to the nearest integer, for positive a, b.
func roundDiv(a, b int) int { return (2*a + b) / (2 * b) }

// resize resamples p to height x width with a triangle (bilinear) filter
// that is widened by the scale factor when shrinking, so that every source
// pixel contributes (area-like antialiasing, as PIL's BILINEAR resize does).
// It returns p itself when the size is unchanged.
func resize(p planes, height, width int) planes {
	if height == p.height && width == p.width {
		return p
	}

	rows := triangleWeights(p.height, height)
	cols := triangleWeights(p.width, width)

	// Along the rows first (width), then along the columns (height), as
	// Pillow does. Each pass is a weighted sum along one axis.
	across := newPlanes(p.channels, p.height, width)
	for c := range p.channels {
		for y := range p.height {
			src := p.values[(c*p.height+y)*p.width : (c*p.height+y+1)*p.width]
			dst := across.values[(c*p.height+y)*width : (c*p.height+y+1)*width]
			for x := range dst {
				dst[x] = cols[x].apply(src, 1)
			}
		}
	}

	out := newPlanes(p.channels, height, width)
	for c := range p.channels {
		plane := across.values[c*p.height*width : (c+1)*p.height*width]
		for y := range height {
			dst := out.values[(c*height+y)*width : (c*height+y+1)*width]
			for x := range dst {
				dst[x] = rows[y].apply(plane[x:], width)
			}
		}
	}
	return out
}

// taps are the source positions and weights of one output sample.
type taps struct {
	first   int       // first source index
	weights []float32 // for first, first+1, ...; they sum to 1
}

// apply returns the weighted sum of src[(first+k)*stride] over the taps.
func (t taps) apply(src []float32, stride int) float32 {
	var sum float32
	for k, w := range t.weights {
		sum += w * src[(t.first+k)*stride]
	}
	return sum
}

// triangleWeights returns the taps of each of out samples resampled from
// in samples. Sample centres line up at (i+0.5)*in/out - 0.5 and the
// triangle's half-width is max(1, in/out) source pixels. Taps that fall
// outside the source are dropped and the rest renormalised.
func triangleWeights(in, out int) []taps {
	scale := float64(in) / float64(out)
	support := max(1, scale)
	all := make([]taps, out)
	for i := range all {
		centre := (float64(i)+0.5)*scale - 0.5
		first := max(0, int(math.Floor(centre-support))+1)
		last := min(in-1, int(math.Ceil(centre+support))-1)

		weights := make([]float32, 0, last-first+1)
		var total float64
		for j := first; j <= last; j++ {
			total += 1 - math.Abs(float64(j)-centre)/support
		}
		for j := first; j <= last; j++ {
			w := 1 - math.Abs(float64(j)-centre)/support
			weights = append(weights, float32(w/total))
		}
		all[i] = taps{first: first, weights: weights}
	}
	return all
}

// cropInto writes the centre crop of p, channels x height x width, into
// dst. The crop's top-left corner is at floor of half the excess on each
// axis. Where the crop reaches past p's edges (p is smaller than the crop),
// the values are 0, as torchvision's CenterCrop pads. Channels are
// converted: 1 to 3 by copying the grey plane, 3 to 1 by BT.601 luminance.
func cropInto(p planes, channels, height, width int, dst []float32) error {
	if p.channels != channels && !(p.channels == 1 && channels == 3) &&
		!(p.channels == 3 && channels == 1) {
		return fmt.Errorf("cannot convert %d channels to %d, want 1 or 3", p.channels, channels)
	}

	top := floorHalf(p.height - height)
	left := floorHalf(p.width - width)
	for c := range channels {
		for y := range height {
			row := dst[(c*height+y)*width : (c*height+y+1)*width]
			sy := top + y
			for x := range row {
				sx := left + x
				if sy < 0 || sy >= p.height || sx < 0 || sx >= p.width {
					row[x] = 0
					continue
				}
				row[x] = p.channelValue(c, channels, sy, sx)
			}
		}
	}
	return nil
}

// channelValue returns the value of output channel c of channels at row y
// and column x of p, converting between 1 and 3 channels.
func (p *planes) channelValue(c, channels, y, x int) float32 {
	switch {
	case p.channels == channels:
		return p.at(c, y, x)
	case p.channels == 1:
		return p.at(0, y, x)
	default:
		return lumaRed*p.at(0, y, x) + lumaGreen*p.at(1, y, x) + lumaBlue*p.at(2, y, x)
	}
}

// floorHalf returns floor(n/2), also for negative n.
func floorHalf(n int) int {
	if n >= 0 {
		return n / 2
	}
	return -((-n + 1) / 2)
}
