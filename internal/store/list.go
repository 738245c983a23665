package store

import (
	_ "embed"
	"strconv"
	"strings"
)

// The lists (ListCases, ListTasks) answer in about a millisecond at a million cases, so
// planning them at every call would cost more than running them: with the policy's
// subqueries, a plan takes 1-3 ms on an idle machine and 7-12 under load. pgx prepares
// every query once per connection, and PostgreSQL can keep one plan per prepared statement
// (a generic plan, made without the parameters' values) instead of planning each call. It
// keeps it only when that plan is good for any value, which a query with optional
// parameters ("@stage = '' OR stage = @stage") or an OR of two indexed columns never is.
// So a list is written anew for each combination of the filters set, without optional
// parameters; each of its arms is served by an index in the list's order whatever the
// values; the page size is written in; and the statement runs with plan_cache_mode
// force_generic_plan (listPlanning), planned once per connection like hand-written SQL.
// Row-level security still decides what a reader sees: the arms only tell the planner
// where to look, and TestScopeMatchesPolicy proves they hide nothing the policy shows.

var (
	//go:embed queries/select_cases_arm.sql
	selectCasesArmSQL string
)

// Markers the list queries are completed at.
const (
	armsMarker    = "/*arms*/"
	wayMarker     = "/*way*/"
	filtersMarker = "/*filters*/"
	limitMarker   = "/*limit*/"
)

// The two ways a comune sees a case (its scope, scope_comune.sql, is their OR), written so
// that no case is in both: the minor lives there, or the comune filed it for a minor living
// elsewhere. Each has an index ordered as the list (the second a partial one, migration
// 00032).
const (
	wayComuneResident    = "AND c.comune = @scope_code"
	wayComuneFiledForOut = "AND c.filed_by = @scope_code AND c.filed_by <> c.comune"
)

// listWays returns the reader's scope as the conditions of the arms of a list, which no
// case meets twice, each of which an index serves newest first, and adds their arguments
// to args. A comune's scope is an OR of two columns, which no one index serves: as two
// arms, each reads its index until the page is full and PostgreSQL merges them, for the
// Comune di Milano (30% of the cases) as for a comune of ten. The other scopes are one
// arm: a hub's and UST's (none) read one index in order; a school's gathers its few cases
// by key (scope_school.sql) and sorts them.
func listWays(org string, args map[string]any) []string {
	kind, code, _ := strings.Cut(org, ":")
	if kind == "comune" && code != "" {
		args["scope_code"] = code
		return []string{wayComuneResident, wayComuneFiledForOut}
	}
	return []string{scoped(scopeMarker, org, args)}
}

// listCasesQuery returns the query of a page of f's cases for org and its arguments: one
// text for each combination of filters set and page size, so that each is a prepared
// statement of its own whose generic plan is good (see the top of this file). It also says
// whether that plan may be forced: only for the unfiltered list and its next pages, whose
// arms are index scans that stop at the page; a filter (a stage, the overdue tasks) may
// keep few of the cases an arm reads, and how few depends on its value, which only a plan
// made with the values knows, so PostgreSQL keeps choosing for those.
func listCasesQuery(org string, f CaseFilter, limit int, afterCreated any, afterID string) (query string, args map[string]any, generic bool) {
	args = map[string]any{}
	var filters []string
	filter := func(cond, name string, value any) {
		filters = append(filters, cond)
		args[name] = value
	}
	if f.Stage != "" {
		filter("AND c.stage = @stage", "stage", string(f.Stage))
	}
	if f.Hub != "" {
		filter("AND c.hub = @hub", "hub", f.Hub)
	}
	if f.Comune != "" {
		filter("AND c.comune = @comune", "comune", f.Comune)
	}
	if f.School != "" {
		filter("AND c.school = @school", "school", f.School)
	}
	if f.Overdue {
		filter("AND c.task_kind IS NOT NULL AND c.task_due_at <= @now", "now", f.Now)
	}
	if f.Escalated != nil {
		filter("AND c.escalated = @escalated", "escalated", *f.Escalated)
	}
	generic = len(filters) == 0
	if afterID != "" {
		// The list index serves the cursor as a range too.
		filters = append(filters, "AND (c.created_at, c.id) < (@after_created, @after_id::uuid)")
		args["after_created"], args["after_id"] = afterCreated, afterID
	}
	page := strconv.Itoa(limit)
	// The comments go first: they name the markers too.
	arm := strings.Replace(withoutComments(selectCasesArmSQL), filtersMarker, strings.Join(filters, " "), 1)
	arm = strings.Replace(arm, limitMarker, page, 1)
	var arms []string
	for _, way := range listWays(org, args) {
		arms = append(arms, "("+strings.Replace(arm, wayMarker, way, 1)+")")
	}
	query = strings.Replace(withoutComments(selectCasesSQL), armsMarker, strings.Join(arms, " UNION ALL "), 1)
	return strings.Replace(query, limitMarker, page, 1), args, generic
}

// tasksQuery is the inbox's query with its limit written in.
func tasksQuery(limit int) string {
	return strings.Replace(withoutComments(selectTasksSQL), limitMarker, strconv.Itoa(limit), 1)
}

// The plan_cache_mode a list runs with (see the top of this file): a plan kept per
// connection, or PostgreSQL's own choice.
const (
	planGeneric = "force_generic_plan"
	planAuto    = "auto"
)

func listPlanning(generic bool) string {
	if generic {
		return planGeneric
	}
	return planAuto
}
