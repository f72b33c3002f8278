// Package plots draws figures from eval's transfer tables with gonum/plot.
// A figure reads only a Table, so it can be redrawn from a stored CSV or
// JSON table without rerunning an attack.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/mmatransfer/mma/eval"
	"github.com/mmatransfer/mma/internal/atomicfile"
)

// Layout of a bar chart, in points (1/72 inch). The figure grows with the
// number of targets and bars, so bars keep their width and tick labels
// never overlap.
const (
	barWidth      vg.Length = 12          // width of one bar
	groupGap      vg.Length = 18          // space between neighbouring groups
	yAxisWidth    vg.Length = 60          // allowance for the y axis, its ticks and label
	legendGap     vg.Length = 12          // space between the plot and the legend
	margin        vg.Length = 10          // blank border around the figure
	minPlotWidth  vg.Length = 240         // smallest width of the plot left of the legend
	minHeight               = 4 * vg.Inch // smallest figure height
	xAxisHeight   vg.Length = 50          // allowance for the x axis, its ticks and label
	legendPadding vg.Length = 4           // vertical space between legend entries
	fontSize      vg.Length = 10          // font size of legend entries and tick labels
	pngDPI                  = 150         // resolution of the PNG file

	undefinedFontSize vg.Length = 8     // font size of the marks for missing values
	undefinedText               = "n/a" // mark for a missing row or a NaN rate
)

// BarChart draws metric as a grouped bar chart and writes it to
// path+".png" and path+".svg", each atomically. Each group is a target of
// table, and each group holds one bar per surrogate and attack setting,
// in the table's order of first appearance. The y axis shows the metric
// in percent from 0 to 100. The legend, which names the settings, is
// drawn right of the plot so it never covers a bar. title may be empty.
// Where a setting has no row for a target, or its value is NaN (a zero
// denominator), the chart writes "n/a" in place of its bar.
func BarChart(table *eval.Table, metric eval.Metric, title, path string) error {
	if !metric.Valid() {
		return fmt.Errorf("bar chart %s: invalid metric %v", path, metric)
	}
	if len(table.Rows) == 0 {
		return fmt.Errorf("bar chart %s: table has no rows", path)
	}

	p, legend, err := newBarPlot(table, metric, title)
	if err != nil {
		return fmt.Errorf("bar chart %s: %w", path, err)
	}
	layout := newFigureLayout(p, legend, len(table.Targets()), len(table.Settings()))

	png := vgimg.PngCanvas{Canvas: vgimg.NewWith(
		vgimg.UseWH(layout.width, layout.height), vgimg.UseDPI(pngDPI))}
	if err := writeFigure(path+".png", png, p, legend, layout); err != nil {
		return fmt.Errorf("bar chart: %w", err)
	}
	svg := vgsvg.New(layout.width, layout.height)
	if err := writeFigure(path+".svg", svg, p, legend, layout); err != nil {
		return fmt.Errorf("bar chart: %w", err)
	}
	return nil
}

// newBarPlot builds the plot and, apart from it, the legend, which the
// figure draws outside the plot area.
func newBarPlot(table *eval.Table, metric eval.Metric,
	title string) (*plot.Plot, *plot.Legend, error) {

	targets := table.Targets()
	settings := table.Settings()

	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "target model"
	p.Y.Label.Text = metric.Label() + " (%)"
	p.X.Tick.Label.Font.Size = fontSize
	p.Y.Tick.Label.Font.Size = fontSize
	p.Y.Tick.Marker = percentTicks{}

	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)

	legend := plot.NewLegend()
	legend.Top = true
	legend.Left = true
	legend.Padding = legendPadding
	legend.TextStyle.Font.Size = fontSize

	for i, setting := range settings {
		heights, undefined := settingHeights(table, metric, setting, targets)
		bars, err := plotter.NewBarChart(heights, barWidth)
		if err != nil {
			return nil, nil, err
		}
		bars.Color = settingColor(i, len(settings))
		bars.LineStyle.Width = 0
		bars.Offset = (vg.Length(i) - vg.Length(len(settings)-1)/2) * barWidth
		p.Add(bars)
		legend.Add(setting.String(), bars)

		if len(undefined) > 0 {
			marks, err := undefinedMarks(undefined, bars.Offset)
			if err != nil {
				return nil, nil, err
			}
			p.Add(marks)
		}
	}

	p.NominalX(targets...)
	p.X.Min = -0.5
	p.X.Max = float64(len(targets)) - 0.5
	p.Y.Min = 0
	p.Y.Max = 100
	return p, &legend, nil
}

// settingHeights returns one bar height per target with the setting's
// metric in percent, and the groups where the setting has no value: no
// row, or a NaN rate. Those bars have height 0.
func settingHeights(table *eval.Table, metric eval.Metric, setting eval.Setting,
	targets []string) (heights plotter.Values, undefined []int) {

	heights = make(plotter.Values, len(targets))
	for j, target := range targets {
		row, ok := table.Find(setting, target)
		if !ok || math.IsNaN(metric.Value(row)) {
			undefined = append(undefined, j)
			continue
		}
		heights[j] = 100 * metric.Value(row)
	}
	return heights, undefined
}

// undefinedMarks writes "n/a" upwards from the axis where a bar has no
// value, so that it does not read as a success rate of 0.
func undefinedMarks(groups []int, offset vg.Length) (*plotter.Labels, error) {
	points := make(plotter.XYs, len(groups))
	texts := make([]string, len(groups))
	for k, group := range groups {
		points[k] = plotter.XY{X: float64(group), Y: 0}
		texts[k] = undefinedText
	}

	marks, err := plotter.NewLabels(plotter.XYLabels{XYs: points, Labels: texts})
	if err != nil {
		return nil, err
	}
	for k := range marks.TextStyle {
		marks.TextStyle[k].Rotation = math.Pi / 2
		marks.TextStyle[k].XAlign = draw.XLeft
		marks.TextStyle[k].YAlign = draw.YCenter
		marks.TextStyle[k].Font.Size = undefinedFontSize
	}
	marks.Offset = vg.Point{X: offset, Y: 2}
	return marks, nil
}

// settingColor returns gonum's soft palette while it has enough colours,
// and evenly spaced hues otherwise, so that no two bars of a group match.
func settingColor(i, n int) color.Color {
	if n <= len(plotutil.SoftColors) {
		return plotutil.SoftColors[i]
	}
	return hueColor(float64(i) / float64(n))
}

// hueColor returns a mid-saturation colour of the given hue in [0, 1).
func hueColor(hue float64) color.Color {
	const saturation, value = 0.55, 0.85
	sector := hue * 6
	fraction := sector - math.Floor(sector)
	low := value * (1 - saturation)
	falling := value * (1 - saturation*fraction)
	rising := value * (1 - saturation*(1-fraction))

	var r, g, b float64
	switch int(sector) % 6 {
	case 0:
		r, g, b = value, rising, low
	case 1:
		r, g, b = falling, value, low
	case 2:
		r, g, b = low, value, rising
	case 3:
		r, g, b = low, falling, value
	case 4:
		r, g, b = rising, low, value
	default:
		r, g, b = value, low, falling
	}
	return color.RGBA{R: uint8(255 * r), G: uint8(255 * g), B: uint8(255 * b), A: 255}
}

// percentTicks marks 0 to 100 with labels every 20 and minor ticks every
// 10.
type percentTicks struct{}

// Ticks returns the ticks of the 0 to 100 percent axis.
func (percentTicks) Ticks(_, _ float64) []plot.Tick {
	var ticks []plot.Tick
	for v := 0; v <= 100; v += 10 {
		tick := plot.Tick{Value: float64(v)}
		if v%20 == 0 {
			tick.Label = strconv.Itoa(v)
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// figureLayout is the size of the figure and of the part the plot takes.
type figureLayout struct {
	width, height vg.Length
	plotWidth     vg.Length
}

// newFigureLayout sizes the figure so that each group is wide enough for
// its bars and its tick label, and tall enough for the legend.
func newFigureLayout(p *plot.Plot, legend *plot.Legend, groups, bars int) figureLayout {
	groupWidth := vg.Length(bars)*barWidth + groupGap
	for _, tick := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		labelWidth := p.X.Tick.Label.Rectangle(tick.Label).Size().X
		groupWidth = max(groupWidth, labelWidth+groupGap)
	}
	plotWidth := max(vg.Length(groups)*groupWidth+yAxisWidth, minPlotWidth)

	legendSize := legend.Rectangle(draw.Canvas{}).Size()
	titleHeight := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y
	height := max(minHeight, legendSize.Y+titleHeight+xAxisHeight+2*margin)

	return figureLayout{
		width:     2*margin + plotWidth + legendGap + legendSize.X,
		height:    height,
		plotWidth: plotWidth,
	}
}

// writeFigure draws the plot and the legend on canvas and writes the
// canvas to path.
func writeFigure(path string, canvas vg.CanvasWriterTo, p *plot.Plot, legend *plot.Legend,
	layout figureLayout) error {

	whole := draw.New(canvas)
	whole.SetColor(color.White)
	whole.Fill(whole.Rectangle.Path())

	figure := draw.Crop(whole, margin, -margin, margin, -margin)
	rightOfPlot := layout.plotWidth - figure.Size().X
	p.Draw(draw.Crop(figure, 0, rightOfPlot, 0, 0))

	legendArea := draw.Crop(figure, layout.plotWidth+legendGap, 0, 0, 0)
	legendArea.Max.Y -= p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y
	legend.Draw(legendArea)

	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
}
