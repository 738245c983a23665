package browsertest

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, pinned in assets.lock and copied by scripts/refresh-assets. It is
// compiled into test binaries only (only tests import this package) and injected into
// the page under test; the application never serves it.
//
//go:embed axe/axe.min.js
var axeSource string

// AxeTags are the axe-core rule sets Axe runs: WCAG 2.0 and 2.1, levels A and AA, the
// level the law asks of public administrations' sites (Legge Stanca, EN 301 549).
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Violation is one axe-core rule a page breaks, with the elements that break it.
type Violation struct {
	ID      string `json:"id"`     // the rule, e.g. "label"
	Impact  string `json:"impact"` // minor, moderate, serious or critical
	Help    string `json:"help"`   // what the rule asks, in a sentence
	HelpURL string `json:"helpUrl"`
	Nodes   []Node `json:"nodes"`
}

// Node is an element that breaks a rule.
type Node struct {
	// Target is a CSS selector of the element. Inside an iframe or a shadow root it
	// is a chain of selectors joined by " >>> ".
	Target         string `json:"target"`
	HTML           string `json:"html"`
	FailureSummary string `json:"failureSummary"` // what to fix
}

// runAxe runs axe-core on the whole document and keeps only what a reader of a failed
// test needs. Asking for the violations alone saves axe building the other lists.
const runAxe = `(async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : t).join(" >>> "),
      html: n.html, failureSummary: n.failureSummary || "",
    })),
  }));
})(%s)`

// Axe checks the page in the tab against WCAG 2.1 AA (AxeTags) with axe-core and returns
// the rules it breaks. Navigate first: axe checks the document as it is now, so run it
// again after an action changes the page.
func Axe(ctx context.Context) ([]Violation, error) {
	// Through the DevTools protocol, so the page's Content-Security-Policy (which allows
	// no foreign script) does not stop it. Once per document: a navigation drops it.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("look for axe-core in the page: %w", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource+"\n;undefined")); err != nil {
			return nil, fmt.Errorf("load axe-core into the page: %w", err)
		}
	}
	tags := `["` + strings.Join(AxeTags, `","`) + `"]`
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](fmt.Sprintf(runAxe, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return violations, nil
}

// RequireNoAxeViolations fails the test if the page in the tab breaks WCAG 2.1 AA,
// listing each rule with its elements. page names the page in the message.
func RequireNoAxeViolations(t testing.TB, ctx context.Context, page string) {
	t.Helper()
	violations, err := Axe(ctx)
	if err != nil {
		t.Fatalf("check %s with axe-core: %v", page, err)
	}
	if len(violations) > 0 {
		t.Fatalf("%s breaks WCAG 2.1 AA:\n%s", page, FormatViolations(violations))
	}
}

// FormatViolations writes violations as a list a person can act on: the rule, its
// impact and help, then each element with what to fix.
func FormatViolations(violations []Violation) string {
	var b strings.Builder
	for _, v := range violations {
		fmt.Fprintf(&b, "- %s (%s): %s\n  %s\n", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "    %s\n      %s\n", n.Target, n.HTML)
			for line := range strings.SplitSeq(n.FailureSummary, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					fmt.Fprintf(&b, "      %s\n", line)
				}
			}
		}
	}
	return b.String()
}
