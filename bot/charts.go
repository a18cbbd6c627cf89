package bot

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/discordgpt/discordgpt/chart"
	"github.com/discordgpt/discordgpt/store"
)

// chartDays is how many days a spending chart covers, today included.
const chartDays = 30

// chartFile is the name of the attached chart.
const chartFile = "spending.png"

// Names of the merged series.
const (
	otherModels  = "other models"
	notPerModel  = "model not recorded"
	minChartCost = 1e-9
)

// chartWindow is the first and last ledger day of the chart ending today.
func (b *Bot) chartWindow(now time.Time) (days []string) {
	l := now.In(b.cfg.Timezone)
	for i := chartDays - 1; i >= 0; i-- {
		days = append(days, time.Date(l.Year(), l.Month(), l.Day()-i, 12, 0, 0, 0, b.cfg.Timezone).Format(time.DateOnly))
	}
	return days
}

// spendingChart draws spending per day by model over days; ok is false
// when there is nothing to draw. The biggest models get their own colour,
// the rest share "other models", and ledger spending with no model (from
// before models were kept per day, or of a user who reset since) shows as
// "model not recorded".
func spendingChart(title string, days []string, spend []store.DaySpend) (png []byte, ok bool, err error) {
	at := map[string]int{}
	for i, d := range days {
		at[d] = i
	}
	perModel := map[string][]float64{}
	totals := map[string]float64{}
	unattributed := make([]float64, len(days))
	drawn := false
	for _, d := range spend {
		i, in := at[d.Day]
		if !in {
			continue
		}
		sum := 0.0
		for m, v := range d.ByModel {
			if v <= 0 {
				continue
			}
			if perModel[m] == nil {
				perModel[m] = make([]float64, len(days))
			}
			perModel[m][i] += v
			totals[m] += v
			sum += v
			drawn = true
		}
		if rest := d.Total - sum; rest > minChartCost {
			unattributed[i] = rest
			drawn = true
		}
	}
	if !drawn {
		return nil, false, nil
	}
	models := make([]string, 0, len(totals))
	for m := range totals {
		models = append(models, m)
	}
	sort.Slice(models, func(i, j int) bool {
		if totals[models[i]] != totals[models[j]] {
			return totals[models[i]] > totals[models[j]]
		}
		return models[i] < models[j]
	})
	hasRest := false
	for _, v := range unattributed {
		hasRest = hasRest || v > 0
	}
	room := chart.MaxSeries
	if hasRest {
		room--
	}
	var other []float64
	if len(models) > room {
		keep := room - 1
		other = make([]float64, len(days))
		for _, m := range models[keep:] {
			for i, v := range perModel[m] {
				other[i] += v
			}
		}
		models = models[:keep]
	}
	var series []chart.Series
	for _, m := range models {
		series = append(series, chart.Series{Name: truncateRunes(m, 40), Values: perModel[m]})
	}
	if other != nil {
		series = append(series, chart.Series{Name: otherModels, Values: other})
	}
	if hasRest {
		series = append(series, chart.Series{Name: notPerModel, Values: unattributed})
	}
	labels := make([]string, len(days))
	for i, d := range days {
		labels[i] = d[5:] // MM-DD
	}
	png, err = chart.StackedBars(title, labels, series, axisCost)
	return png, err == nil, err
}

// axisCost labels the y axis: dollars with as many decimals as the step
// needs (at least two below $10), trailing zeros dropped.
func axisCost(v float64) string {
	if v == 0 {
		return "$0"
	}
	if v >= 10 {
		return fmt.Sprintf("$%.0f", v)
	}
	s := strconv.FormatFloat(v, 'f', 5, 64)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i < 3 {
		s += strings.Repeat("0", 3-(len(s)-i))
	}
	return "$" + s
}

// chartAttachment draws a spending chart and returns it as a file for a
// message, or nil when there is nothing to draw (a failure is logged: the
// command still answers with its text).
func (b *Bot) chartAttachment(title string, days []string, spend []store.DaySpend) *discordgo.File {
	png, ok, err := spendingChart(title, days, spend)
	if err != nil {
		b.log.Warn("draw spending chart", "err", err)
	}
	if !ok || err != nil {
		return nil
	}
	return &discordgo.File{Name: chartFile, ContentType: "image/png", Reader: bytes.NewReader(png)}
}
