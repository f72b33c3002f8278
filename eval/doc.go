// Package eval measures how adversarial examples transfer: it stores
// adversarial sets, runs classifiers over them, computes success rates and
// perturbation norms, and writes transfer tables as CSV, JSON and Markdown.
//
// Everything a table shows is computed here from stored results (an
// adversarial set file and the predictions of each target), so a table can
// be redrawn without rerunning an attack. Rates are fractions in [0, 1]
// everywhere except in Markdown cells, which show percent.
package eval
