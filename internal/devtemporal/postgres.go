package devtemporal

import (
	"os"
	"strconv"
)

// Postgres puts the dev server's persistence and visibility on PostgreSQL (12 or newer)
// instead of SQLite, as a production cluster runs. The server creates both databases if
// missing and brings their schemas up to date with Temporal's own schema tool at every
// start.
type Postgres struct {
	// Host and Port locate the PostgreSQL server; Port 0 means 5432.
	Host string
	Port int
	// User must be allowed to create the databases, or they must exist already.
	User string
	// Password is handed to the server in its environment, never on its command line.
	Password string
	// Database and VisibilityDatabase name the server's two databases; empty means
	// "temporal" and "temporal_visibility".
	Database, VisibilityDatabase string
}

// passwordEnv is the variable approdo-devserver reads the PostgreSQL password from.
const passwordEnv = "APPRODO_DEVSERVER_POSTGRES_PASSWORD"

// args are the server's flags for p; none for nil.
func (p *Postgres) args() []string {
	if p == nil {
		return nil
	}
	args := []string{"-postgres-host", p.Host}
	if p.Port != 0 {
		args = append(args, "-postgres-port", strconv.Itoa(p.Port))
	}
	if p.User != "" {
		args = append(args, "-postgres-user", p.User)
	}
	if p.Database != "" {
		args = append(args, "-postgres-db", p.Database)
	}
	if p.VisibilityDatabase != "" {
		args = append(args, "-postgres-visibility-db", p.VisibilityDatabase)
	}
	return args
}

// env is the server's environment for p: this process's, with the password.
func (p *Postgres) env() []string {
	if p == nil || p.Password == "" {
		return nil // exec.Cmd's default: this process's environment
	}
	return append(os.Environ(), passwordEnv+"="+p.Password)
}
