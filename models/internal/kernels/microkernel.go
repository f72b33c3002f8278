package kernels

// microKernelGo sets tile to the product of a packed gemmMR x kc panel of A
// and a packed kc x gemmNR strip of B. It is the portable micro-kernel.
func microKernelGo(kc int, panel, strip []float32, tile *[gemmMR * gemmNR]float32) {
	*tile = [gemmMR * gemmNR]float32{}
	panel = panel[:kc*gemmMR]
	strip = strip[:kc*gemmNR]
	for p := 0; p < kc; p++ {
		a := panel[p*gemmMR : p*gemmMR+gemmMR]
		b := (*[gemmNR]float32)(strip[p*gemmNR : p*gemmNR+gemmNR])
		for r, ar := range a {
			row := (*[gemmNR]float32)(tile[r*gemmNR : r*gemmNR+gemmNR])
			for q := range row {
				row[q] += ar * b[q]
			}
		}
	}
}
