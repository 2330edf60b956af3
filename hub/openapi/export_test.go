package openapi

// ProblemCodes lists every code of the problems table, for the test that
// the document lists them all.
func ProblemCodes() []string {
	out := make([]string, 0, len(problems))
	for c := range problems {
		out = append(out, c)
	}
	return out
}
