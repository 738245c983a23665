package store

import (
	_ "embed"
	"strings"
)

// The reader's scope: the cases the policy case_read lets an organisation see, written as
// a condition on the row that the planner can serve from an index (a comune's cases from
// the comune and filed_by indexes rather than a scan of every case). Row-level security
// still decides; the scope only tells the planner where to look, and
// TestScopeMatchesPolicy proves it never hides a case the policy shows.
var (
	//go:embed queries/scope_comune.sql
	scopeComuneSQL string
	//go:embed queries/scope_hub.sql
	scopeHubSQL string
	//go:embed queries/scope_school.sql
	scopeSchoolSQL string
	//go:embed queries/scope_one_stop_shop.sql
	scopeOneStopShopSQL string
	//go:embed queries/scope_orientation.sql
	scopeOrientationSQL string
)

// scopeMarker is where a query takes the reader's scope.
const scopeMarker = "/*scope*/"

// scoped returns query with the scope of org in place of its marker, and the scope's
// arguments added to args. UST, the worker and any other organisation get no scope: the
// first see every case, the others none, which the policy alone decides.
func scoped(query, org string, args map[string]any) string {
	kind, code, _ := strings.Cut(org, ":")
	var scope string
	switch {
	case kind == "comune" && code != "":
		scope = scopeComuneSQL
	case (kind == "cti" || kind == "polo_start") && code != "":
		scope = scopeHubSQL
	case kind == "school" && code != "":
		scope = scopeSchoolSQL
	case kind == "one_stop_shop":
		scope = scopeOneStopShopSQL
	case org == "orientation":
		scope = scopeOrientationSQL
	}
	if scope != "" {
		args["scope_code"], args["scope_org"] = code, org
	}
	return strings.Replace(query, scopeMarker, withoutComments(scope), 1)
}

// withoutComments drops the SQL file's comment lines, which would otherwise comment out
// the rest of the query's line.
func withoutComments(sql string) string {
	var b strings.Builder
	for line := range strings.Lines(sql) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(strings.TrimRight(line, "\n"))
			b.WriteByte(' ')
		}
	}
	return b.String()
}
