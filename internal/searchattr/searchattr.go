// Package searchattr defines Approdo's custom Temporal search attributes in one place:
// the keys the workflows set, and the registration that the dev stack, `approdo migrate`
// and the tests run against a namespace.
//
// Search attributes are visible to anyone with access to the Temporal Web UI, so they hold
// codes and stages only, never personal data of a minor.
package searchattr

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The custom search attributes. Their names are what supervisors type in the Temporal UI's
// filter, e.g. `Stage="awaiting_proposal" AND Escalated=true`. None is called Status: the
// UI has its own column by that name.
var (
	// Stage is the step a case or journey has reached.
	Stage = temporal.NewSearchAttributeKeyKeyword("Stage")
	// ComuneIstat is the ISTAT code of the comune a case belongs to (of residence; it
	// changes with a transfer).
	ComuneIstat = temporal.NewSearchAttributeKeyKeyword("ComuneIstat")
	// HubID is the competent hub, e.g. "cti:21" or "polo_start:1".
	HubID = temporal.NewSearchAttributeKeyKeyword("HubID")
	// SchoolCode is the codice meccanografico of the school proposed or, once the minor is
	// enrolled, of the placement.
	SchoolCode = temporal.NewSearchAttributeKeyKeyword("SchoolCode")
	// Deadline is when the task the case waits on is due; unset when it waits on nobody.
	Deadline = temporal.NewSearchAttributeKeyTime("Deadline")
	// Escalated is true while the case is escalated to UST.
	Escalated = temporal.NewSearchAttributeKeyBool("Escalated")
	// Origin is why the minor arrived: ukrainian_refugee, family_reunification, …
	Origin = temporal.NewSearchAttributeKeyKeyword("Origin")
	// ProposalCount is how many schools have been proposed for the case.
	ProposalCount = temporal.NewSearchAttributeKeyInt64("ProposalCount")
	// DropoutRisk is true once a follow-up check opened a dropout-risk referral.
	DropoutRisk = temporal.NewSearchAttributeKeyBool("DropoutRisk")
	// Ambito is the code of the ambito territoriale of the case's comune, e.g. "21",
	// also when a Polo START has the case.
	Ambito = temporal.NewSearchAttributeKeyKeyword("Ambito")
	// SchoolLevel is the school level sought: infanzia, primaria, secondaria_primo_grado,
	// secondaria_secondo_grado or cpia. Not "Level": LEVEL is a
	// keyword of the List Filter's SQL parser: `Level = "primaria"` fails to parse.
	SchoolLevel = temporal.NewSearchAttributeKeyKeyword("SchoolLevel")
)

// KeywordSlots is how many Keyword attributes SQL visibility (SQLite, PostgreSQL) gives a
// namespace; All stays within it (TestKeywordAttributesFitSQLVisibility).
const KeywordSlots = 10

// All maps every custom search attribute to its type, for registration.
func All() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		Stage.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ComuneIstat.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		HubID.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SchoolCode.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		Deadline.GetName():      enumspb.INDEXED_VALUE_TYPE_DATETIME,
		Escalated.GetName():     enumspb.INDEXED_VALUE_TYPE_BOOL,
		Origin.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		ProposalCount.GetName(): enumspb.INDEXED_VALUE_TYPE_INT,
		DropoutRisk.GetName():   enumspb.INDEXED_VALUE_TYPE_BOOL,
		Ambito.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SchoolLevel.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// Ensure registers every attribute of All on namespace, adding only those that are
// missing. It is idempotent, so it runs at every start, also against an existing server
// where the namespace was created before an attribute existed.
func Ensure(ctx context.Context, c client.Client, namespace string) error {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range All() {
		have, ok := existing.GetCustomAttributes()[name]
		if !ok {
			missing[name] = typ
			continue
		}
		if have != typ {
			return fmt.Errorf("search attribute %s of namespace %s has type %s, want %s", name, namespace, have, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	// Another process may have added them between our list and our add: that is the
	// outcome we wanted, not a failure.
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes to namespace %s: %w", namespace, err)
	}
	added := time.Now()
	if err := waitUsable(ctx, c, namespace, missing); err != nil {
		return err
	}
	// The frontend knows them now; the history service, which checks every upsert, reads
	// the namespace again on its own clock. Two of its refreshes after the add, it has.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(added.Add(2 * CacheRefresh))):
	}
	return nil
}

// CacheRefresh is how often every Temporal service reads the namespaces again, learning of
// new search attributes: the server's default (system.namespaceCacheRefreshInterval), which
// the dev server (deploy/devserver) sets explicitly. The server reads search attributes
// from that cache, as in production, rather than from the database at every use.
const CacheRefresh = 2 * time.Second

// waitUsable returns once the frontend accepts queries on the new attributes. It learns of
// them when it next refreshes its namespace cache (every few seconds); a workflow started
// with them before that is refused.
func waitUsable(ctx context.Context, c client.Client, namespace string, added map[string]enumspb.IndexedValueType) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for name, typ := range added {
		query := fmt.Sprintf("%s = %s", name, probeValue(typ))
		for {
			_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: query})
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("search attribute %s of namespace %s is still not usable: %w (last answer: %v)", name, namespace, ctx.Err(), err)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

// probeValue is a literal of the attribute's type, for a query that only has to parse.
func probeValue(typ enumspb.IndexedValueType) string {
	switch typ {
	case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "0"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "true"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "'2000-01-01T00:00:00Z'"
	default:
		return "'probe'"
	}
}
