package main

import (
	"fmt"
	"net/url"
	"strings"

	uiconfig "github.com/temporalio/ui-server/v2/server/config"
)

// uiCodec is the Web UI's codec server setting for -codec-endpoint. Workflow payloads are
// sealed, so the UI shows them only once a codec server has opened them; Approdo's is
// served by its API (/codec), which knows the reader by the portal's session cookie.
// IncludeCredentials makes the browser send that cookie with its cross-origin calls.
// An empty endpoint leaves the UI without a codec: payloads stay opaque.
func uiCodec(endpoint string) uiconfig.Codec {
	if endpoint == "" {
		return uiconfig.Codec{}
	}
	return uiconfig.Codec{
		Endpoint:            strings.TrimRight(endpoint, "/"),
		IncludeCredentials:  true,
		DefaultErrorMessage: "Payloads are decoded for UST supervisors logged in to the Approdo portal only.",
	}
}

// checkCodecEndpoint refuses an endpoint the browser could not call: it must be an
// absolute http(s) URL.
func checkCodecEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-codec-endpoint %q is not an http(s) URL", endpoint)
	}
	return nil
}
