package models

import (
	"math/rand"

	"gorgonia.org/tensor"
)

// augmentSeedOffset separates the generator of crops and flips from the
// shuffling generator seeded with the same TrainConfig.Seed.
const augmentSeedOffset = 0x5eed

// augmenter applies TrainConfig's random crop and flip to training
// batches. A nil augmenter leaves batches unchanged.
type augmenter struct {
	pad     int
	flip    bool
	rng     *rand.Rand
	scratch []float32
}

// newAugmenter returns the augmenter of cfg, or nil when cfg sets neither
// CropPad nor Flip, so that such runs draw no random numbers for it.
func newAugmenter(cfg TrainConfig) *augmenter {
	if cfg.CropPad == 0 && !cfg.Flip {
		return nil
	}
	return &augmenter{
		pad:  cfg.CropPad,
		flip: cfg.Flip,
		rng:  rand.New(rand.NewSource(cfg.Seed + augmentSeedOffset)),
	}
}

// batch crops and flips each image of x (N x C x H x W) in place. Labels
// do not change.
func (a *augmenter) batch(x *tensor.Dense) {
	if a == nil {
		return
	}
	shape := x.Shape()
	size := product(shape[1:])
	data := x.Data().([]float32)
	for i := range shape[0] {
		a.image(data[i*size:(i+1)*size], shape[1], shape[2], shape[3])
	}
}

// image crops and flips one image (c x h x w) in place. The crop draws
// shifts dy, dx in [-pad, pad] and moves the image by them, reading zeros
// outside it. That equals an h x w crop at offset (dy + pad, dx + pad) of
// the image padded with pad zeros on each side.
func (a *augmenter) image(pixels []float32, c, h, w int) {
	if a.pad > 0 {
		dy := a.rng.Intn(2*a.pad+1) - a.pad
		dx := a.rng.Intn(2*a.pad+1) - a.pad
		a.shift(pixels, c, h, w, dy, dx)
	}
	if a.flip && a.rng.Intn(2) == 1 {
		flipRows(pixels, c*h, w)
	}
}

// shift sets pixel (y, x) of each channel to the old pixel (y+dy, x+dx),
// or 0 where that lies outside the image.
func (a *augmenter) shift(pixels []float32, c, h, w, dy, dx int) {
	a.scratch = append(a.scratch[:0], pixels...)
	for ch := range c {
		for y := range h {
			row := pixels[(ch*h+y)*w : (ch*h+y+1)*w]
			sy := y + dy
			for x := range w {
				sx := x + dx
				if sy < 0 || sy >= h || sx < 0 || sx >= w {
					row[x] = 0
					continue
				}
				row[x] = a.scratch[(ch*h+sy)*w+sx]
			}
		}
	}
}

// flipRows reverses each of the rows rows of width w.
func flipRows(pixels []float32, rows, w int) {
	for r := range rows {
		row := pixels[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}
