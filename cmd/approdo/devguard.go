package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// checkLocalDatabase refuses a DATABASE_URL that is not on this machine: `approdo dev`
// seeds demo organisations, tokens and users with a published password, which must never
// reach a shared or production database. Loopback addresses, localhost and Unix sockets
// are local; every host a connection string may fall back to must be.
func checkLocalDatabase(databaseURL string) error {
	cfg, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		// Not wrapped: the parser's message may quote the string, password included.
		return fmt.Errorf("DATABASE_URL is not a PostgreSQL connection string")
	}
	hosts := []string{cfg.Host}
	for _, f := range cfg.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for _, h := range hosts {
		if !localHost(h) {
			return fmt.Errorf("approdo dev seeds demo credentials (password approdo-demo-2026) into its database, "+
				"so it refuses DATABASE_URL on host %q: use a PostgreSQL on this machine, or unset DATABASE_URL and dev starts its own", h)
		}
	}
	return nil
}

func localHost(h string) bool {
	if h == "" || strings.HasPrefix(h, "/") || strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
