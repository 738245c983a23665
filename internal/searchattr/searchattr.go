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

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The custom search attributes. Their names are what supervisors type in the Temporal UI's
// filter, e.g. `Stage="registered"`. None is called Status: the UI has its own column by
// that name.
var (
	// Stage is the step a case or journey has reached.
	Stage = temporal.NewSearchAttributeKeyKeyword("Stage")
	// Comune is the ISTAT code of the comune a case belongs to.
	Comune = temporal.NewSearchAttributeKeyKeyword("Comune")
)

// All maps every custom search attribute to its type, for registration.
func All() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		Stage.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		Comune.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
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
	return nil
}
