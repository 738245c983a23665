-- One batch of retention: up to @max closed rows of each kind, closed before @before and
-- not yet pseudonymised (see migration 00020).
SELECT cases, journeys, interventions, imports FROM approdo_pseudonymise_closed(@before, @max)
