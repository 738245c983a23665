package i18n

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Check finds what would make a reader get the wrong text: an area without an Italian
// file, a translation that misses a key of the Italian file or has one it lacks, a
// template that does not parse, and a translation that uses a field its Italian message
// does not (a typo such as {{.Lnik}}, which only fails when rendered). It reports every
// problem at once. The catalogs' test calls it, so none of these reaches a build.
func (c *Catalog) Check() error {
	var problems []error
	byArea := map[string]map[language.Tag]file{}
	for _, f := range c.files {
		if byArea[f.area] == nil {
			byArea[f.area] = map[language.Tag]file{}
		}
		byArea[f.area][f.lang] = f
	}
	for _, area := range slices.Sorted(maps.Keys(byArea)) {
		italian, ok := byArea[area][italianTag]
		if !ok {
			problems = append(problems, fmt.Errorf("area %s has no Italian file (%s.%s.toml)", area, area, Italian))
		}
		for _, lang := range c.langs.tags {
			f, ok := byArea[area][lang]
			if !ok {
				continue
			}
			for _, m := range f.messages {
				fields, err := messageFields(m)
				if err != nil {
					problems = append(problems, fmt.Errorf("%s: %s: %w", f.name, m.ID, err))
					continue
				}
				if lang == italianTag || italian.name == "" {
					continue
				}
				original, ok := italian.message(m.ID)
				if !ok {
					problems = append(problems, fmt.Errorf("%s: %s is not in %s", f.name, m.ID, italian.name))
					continue
				}
				want, _ := messageFields(original)
				for _, field := range fields {
					if !slices.Contains(want, field) {
						problems = append(problems, fmt.Errorf("%s: %s uses {{.%s}}, which %s does not", f.name, m.ID, field, italian.name))
					}
				}
			}
			if lang == italianTag || italian.name == "" {
				continue
			}
			for _, m := range italian.messages {
				if _, ok := f.message(m.ID); !ok {
					problems = append(problems, fmt.Errorf("%s: %s of %s is missing", f.name, m.ID, italian.name))
				}
			}
		}
	}
	return errors.Join(problems...)
}

func (f file) message(id string) (*goi18n.Message, bool) {
	i := slices.IndexFunc(f.messages, func(m *goi18n.Message) bool { return m.ID == id })
	if i < 0 {
		return nil, false
	}
	return f.messages[i], true
}

// forms are a message's texts, one per plural form it has.
func forms(m *goi18n.Message) []string {
	var out []string
	for _, s := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// messageFields parses each form of m and returns the fields they read ("Link",
// "Placement.School"), sorted.
func messageFields(m *goi18n.Message) ([]string, error) {
	seen := map[string]bool{}
	for _, src := range forms(m) {
		t, err := template.New(m.ID).Delims(m.LeftDelim, m.RightDelim).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, err
		}
		if t.Tree != nil {
			walkFields(t.Tree.Root, seen)
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// walkFields records the fields that the nodes under n read from the data.
func walkFields(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, seen)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			walkFields(cmd, seen)
		}
	case *parse.CommandNode:
		for _, arg := range n.Args {
			walkFields(arg, seen)
		}
	case *parse.FieldNode:
		seen[strings.Join(n.Ident, ".")] = true
	case *parse.ChainNode:
		walkFields(n.Node, seen)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, seen)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, seen)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, seen)
	case *parse.TemplateNode:
		walkFields(n.Pipe, seen)
	}
}

func walkBranch(b *parse.BranchNode, seen map[string]bool) {
	walkFields(b.Pipe, seen)
	walkFields(b.List, seen)
	walkFields(b.ElseList, seen)
}
