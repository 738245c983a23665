package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// postgresPasswordEnv names the variable the PostgreSQL password is read from. It is not
// a flag because a process's arguments are readable by every user of the machine.
const postgresPasswordEnv = "APPRODO_DEVSERVER_POSTGRES_PASSWORD"

// Stores of the server's configuration when it runs on PostgreSQL.
const (
	postgresStore           = "postgres"
	postgresVisibilityStore = "postgres-visibility"
)

// Temporal's embedded schemas (go.temporal.io/server/schema) for PostgreSQL 12 and
// newer: the versioned folders the schema tool applies in order.
const (
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
)

// postgresHistoryShards is the number of history shards on PostgreSQL. Unlike SQLite's
// single writer, PostgreSQL serves shards in parallel, and a production cluster has many;
// four keep a one-process server light while workflows still spread over shards. The
// number is fixed when a database is first used: the server refuses to start on a
// database made with another.
const postgresHistoryShards = 4

// postgresOptions are the flags that put the server's persistence and its (advanced)
// visibility on PostgreSQL 12 or newer instead of SQLite, as in production.
type postgresOptions struct {
	host             string
	port             int
	user             string
	password         string
	database         string
	visibilityDB     string
	adminDB          string
	maxConns         int
	connectAttribute stringList
}

func (p *postgresOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&p.host, "postgres-host", "", "PostgreSQL host; when set, persistence and visibility are on PostgreSQL instead of SQLite (password from $"+postgresPasswordEnv+")")
	fs.IntVar(&p.port, "postgres-port", 5432, "PostgreSQL port")
	fs.StringVar(&p.user, "postgres-user", "temporal", "PostgreSQL user; it must be allowed to create the databases, or they must exist")
	fs.StringVar(&p.database, "postgres-db", "temporal", "database of the server's persistence, created with its schema if missing")
	fs.StringVar(&p.visibilityDB, "postgres-visibility-db", "temporal_visibility", "database of the server's visibility, created with its schema if missing")
	fs.StringVar(&p.adminDB, "postgres-admin-db", "postgres", "existing database to connect to while creating the two above")
	fs.IntVar(&p.maxConns, "postgres-max-conns", 20, "most connections to each database")
	fs.Var(&p.connectAttribute, "postgres-connect-attribute", "KEY=VALUE connection parameter, e.g. sslmode=verify-full; repeatable")
}

// enabled tells whether the server runs on PostgreSQL.
func (p *postgresOptions) enabled() bool { return p.host != "" }

// check validates the flags and reads the password.
func (p *postgresOptions) check(dbFile string) error {
	if !p.enabled() {
		return nil
	}
	if dbFile != "" {
		return errors.New("-db-file (SQLite) and -postgres-host exclude each other")
	}
	if p.port <= 0 || p.port > 65535 {
		return fmt.Errorf("-postgres-port %d is not a usable TCP port", p.port)
	}
	if p.database == "" || p.visibilityDB == "" || p.database == p.visibilityDB {
		return errors.New("-postgres-db and -postgres-visibility-db must be two different, non-empty names")
	}
	if p.maxConns < 2 {
		return fmt.Errorf("-postgres-max-conns %d is too small", p.maxConns)
	}
	if _, err := p.attributes(); err != nil {
		return err
	}
	p.password = os.Getenv(postgresPasswordEnv)
	return nil
}

func (p *postgresOptions) attributes() (map[string]string, error) {
	attrs := map[string]string{}
	for _, kv := range p.connectAttribute {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-postgres-connect-attribute %q is not KEY=VALUE", kv)
		}
		attrs[k] = v
	}
	return attrs, nil
}

// sql is the configuration of one of the server's databases.
func (p *postgresOptions) sql(database string) *config.SQL {
	attrs, _ := p.attributes() // checked by check
	return &config.SQL{
		PluginName:        postgresql.PluginNamePGX,
		DatabaseName:      database,
		ConnectAddr:       net.JoinHostPort(p.host, strconv.Itoa(p.port)),
		ConnectProtocol:   "tcp",
		User:              p.user,
		Password:          p.password,
		ConnectAttributes: attrs,
		MaxConns:          p.maxConns,
		MaxIdleConns:      p.maxConns,
	}
}

// prepare creates both databases if missing, brings their schemas to the version this
// server needs with Temporal's own SQL schema tool (the library behind temporal-sql-tool,
// on the schemas embedded in the server module), and creates the namespaces that do not
// exist yet. Every step is idempotent, so it runs at every start, and a server upgrade
// applies its schema updates the same way.
func (p *postgresOptions) prepare(namespaces []string, retention time.Duration) error {
	logger := log.NewNoopLogger()
	for _, db := range []struct{ name, schema string }{
		{p.database, postgresSchema},
		{p.visibilityDB, postgresVisibilitySchema},
	} {
		cfg := p.sql(db.name)
		// DoCreateDatabase connects to the admin database, and does nothing if the
		// database exists. It changes the configuration's database name: give it a copy.
		create := *cfg
		if err := sqltool.DoCreateDatabase(&create, p.adminDB, logger); err != nil {
			return fmt.Errorf("create PostgreSQL database %s: %w", db.name, err)
		}
		if err := migrateSchema(cfg, db.schema, logger); err != nil {
			return fmt.Errorf("bring the schema of PostgreSQL database %s up to date: %w", db.name, err)
		}
	}
	var configs []*sqliteschema.NamespaceConfig
	for _, name := range namespaces {
		ns, err := sqliteschema.NewNamespaceConfig(clusterName, name, false, nil)
		if err != nil {
			return fmt.Errorf("configure namespace %s: %w", name, err)
		}
		ns.Detail.Config.Retention = durationpb.New(retention)
		configs = append(configs, ns)
	}
	// Despite its package, CreateNamespaces works on any SQL store through the plugin
	// named in the configuration: it inserts the namespace rows the server would, and
	// skips those that exist. Approdo's search attributes are registered by
	// `approdo migrate`, through the Operator API, as in production.
	if err := sqliteschema.CreateNamespaces(p.sql(p.database), configs...); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	return nil
}

// migrateSchema is `temporal-sql-tool setup-schema -v 0.0` followed by `update-schema
// --schema-name <name>`: the first only creates the version tables of a new database (on
// an existing one it sees a newer version and leaves it), the second applies every
// versioned change the database lacks.
func migrateSchema(cfg *config.SQL, schemaName string, logger log.Logger) error {
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return err
	}
	return schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run()
}

// apply points the server's persistence and visibility at PostgreSQL.
func (p *postgresOptions) apply(cfg *config.Config) {
	if !p.enabled() {
		return
	}
	cfg.Persistence.DefaultStore = postgresStore
	cfg.Persistence.VisibilityStore = postgresVisibilityStore
	cfg.Persistence.NumHistoryShards = postgresHistoryShards
	cfg.Persistence.DataStores = map[string]config.DataStore{
		postgresStore:           {SQL: p.sql(p.database)},
		postgresVisibilityStore: {SQL: p.sql(p.visibilityDB)},
	}
}
