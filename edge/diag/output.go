package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"cunyou/edge/messages"
)

// JSONReport is the report as --json prints it for remote support.
type JSONReport struct {
	Version string      `json:"version"`
	Node    string      `json:"node"`
	Checks  []JSONCheck `json:"checks"`
}

// JSONCheck is one check in a JSONReport; Fix is "" when there is nothing
// to do.
type JSONCheck struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// JSON renders the report in lang.
func (r Report) JSON(lang messages.Lang) JSONReport {
	out := JSONReport{Version: r.Version, Node: r.Node, Checks: []JSONCheck{}}
	for _, l := range r.Lines {
		out.Checks = append(out.Checks, JSONCheck{Name: l.Name, Status: l.Status, Detail: l.Detail.Text(lang), Fix: l.Fix.Text(lang)})
	}
	return out
}

// WriteJSON writes the report as one JSON object.
func (r Report) WriteJSON(w io.Writer, lang messages.Lang) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r.JSON(lang))
}

// WriteText writes the report as a table a person reads: the status, the
// check's name and what it saw, and under it what to do.
func (r Report) WriteText(w io.Writer, lang messages.Lang) error {
	var b strings.Builder
	node := M("head.nonode")
	if r.Node != "" {
		node = M("head.node", r.Node)
	}
	fmt.Fprintf(&b, "%s · %s · cunyou-edge %s · %s\n\n", sentence(lang, "head.title"), node.Text(lang), r.Version, when(r.At).text(lang))
	nameWidth := 0
	for _, l := range r.Lines {
		nameWidth = max(nameWidth, len(l.Name))
	}
	markWidth := 0
	for _, s := range []Status{StatusOK, StatusWarn, StatusFail} {
		markWidth = max(markWidth, width(sentence(lang, "status."+string(s))))
	}
	indent := strings.Repeat(" ", markWidth+2+nameWidth+2)
	for _, l := range r.Lines {
		mark := sentence(lang, "status."+string(l.Status))
		fmt.Fprintf(&b, "%s%s  %-*s  %s\n", mark, strings.Repeat(" ", markWidth-width(mark)), nameWidth, l.Name, l.Detail.Text(lang))
		if !l.Fix.IsZero() {
			fmt.Fprintf(&b, "%s%s%s\n", indent, sentence(lang, "head.fix"), l.Fix.Text(lang))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", M("head.sum", r.Count(StatusOK), r.Count(StatusWarn), r.Count(StatusFail)).Text(lang))
	_, err := io.WriteString(w, b.String())
	return err
}

// width is how many terminal cells s takes: two for East Asian wide
// characters, one for the rest.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && utf8.RuneLen(r) >= 3 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
