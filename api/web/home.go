package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/approdo/approdo/internal/store"
)

// inboxRow is one open task of the organisation, as the home page lists it.
type inboxRow struct {
	store.TaskItem
	Overdue bool
	DueAt   time.Time
}

// home is the organisation's inbox: its open tasks, overdue first, with their deadlines
// in Rome time.
func (w *Web) home(c *gin.Context) {
	tasks, err := w.app.Tasks(c.Request.Context(), actorOf(c), 0)
	if err != nil {
		w.fail(c, err)
		return
	}
	now := w.app.Now()
	rows := make([]inboxRow, len(tasks))
	overdue := 0
	for i, t := range tasks {
		rows[i] = inboxRow{TaskItem: t, Overdue: t.Task.Overdue(now), DueAt: t.Task.DueAt}
		if rows[i].Overdue {
			overdue++
		}
	}
	w.render(c, http.StatusOK, "home", view{Data: map[string]any{"Rows": rows, "Overdue": overdue}})
}
