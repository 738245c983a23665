// Package browsertest drives a real browser from tests: Debian's Chromium, headless,
// through chromedp. Tests open pages in tabs, check them against WCAG 2.1 AA with
// axe-core, check that they load nothing from another site, and take screenshots.
//
//	b := browsertest.New(t)
//	tab := b.NewTab(t)
//	b.RequireOnlyLocalRequests(t, tab)
//	b.RequireNoConsoleErrors(t, tab)
//	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(srv.URL+"/casi")))
//	browsertest.RequireNoAxeViolations(t, tab, "elenco dei casi")
//
// Each New starts a browser of its own, with a fresh profile, stopped when the test ends,
// so tests stay apart and may run in parallel. Starting one takes about a second, a tab
// a fraction of that: a test of several pages should open a tab per page (in subtests,
// say) of one browser. Tabs do not share cookies.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package installs the browser's launcher. The
// tests use that one and nothing else, so every machine runs the same browser, from the
// distribution's security updates, and nothing is downloaded at run time.
const Chromium = "/usr/bin/chromium"

// Browser is one headless Chromium, for one test.
type Browser struct {
	ctx context.Context // the browser's own chromedp context; tabs derive from it
}

// New starts Chromium for the test and stops it when the test ends. It fails the test,
// rather than skipping it, when Chromium is not installed: a skipped accessibility test
// passes in silence.
func New(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("browser tests need Chromium at %s: install Debian's chromium: apt-get install chromium", Chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium),
		// A fresh profile for every browser: no cookies, cache or storage carried over.
		chromedp.UserDataDir(t.TempDir()),
		// The tests run as root in CI, where Chromium's sandbox cannot start.
		chromedp.NoSandbox,
		// No GPU here; software rendering is enough for layout and screenshots.
		chromedp.DisableGPU,
		// Nothing may reach the network: no QUIC probes, no component or safe-browsing
		// updates, no sync. Every host name but localhost resolves to nothing, at once,
		// so a page that points at another site fails fast (and RequireOnlyLocalRequests
		// names it) instead of waiting for a DNS timeout.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"),
		// The pages are Italian; a browser that asks for Italian sees what users see.
		chromedp.Flag("accept-lang", "it-IT,it"),
		// A desktop window, so screenshots of one page always have the same width.
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	logs := &testLog{t: t}
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(logs.Logf))
	stop := func() {
		// Close the browser gracefully, then wait for its process to end, before
		// t.TempDir removes the profile it writes to.
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
		logs.close()
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("start %s: %v", Chromium, err)
	}
	t.Cleanup(stop)
	return &Browser{ctx: ctx}
}

// NewTab opens a tab, closed when the test ends. Each tab has its own browser context,
// like a private window: cookies and storage are not shared with other tabs, so two tabs
// can be signed in as two organisations.
func (b *Browser) NewTab(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx, reducedMotion); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// reducedMotion makes the tab prefer reduced motion, as some people set their system
// to. Otherwise Bootstrap scrolls smoothly (scroll-behavior: smooth): chromedp scrolls
// an element into view and clicks its centre at once, while the page is still moving,
// and the click lands beside the button.
var reducedMotion = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	})
	return err
})

// RequireOnlyLocalRequests fails the test, when it ends, if the tab asked for anything
// from another site: every request, WebSocket and EventSource must go to the loopback
// address the test server listens on (data:, blob: and about: URLs stay in the page).
// Call it before the tab navigates. Approdo's pages load nothing from other sites;
// this is the check.
func (b *Browser) RequireOnlyLocalRequests(t testing.TB, ctx context.Context) {
	t.Helper()
	foreign, err := watchRequests(ctx)
	if err != nil {
		t.Fatalf("watch the tab's requests: %v", err)
	}
	t.Cleanup(func() {
		if urls := foreign(); len(urls) > 0 {
			t.Errorf("the page asked for %d resources from other sites (pages must load only from Approdo):\n  %s",
				len(urls), strings.Join(urls, "\n  "))
		}
	})
}

// watchRequests records, from now on, the URLs the tab asks for outside the loopback
// address, and returns a func that lists them.
func watchRequests(ctx context.Context) (func() []string, error) {
	var (
		mu      sync.Mutex
		foreign []string
	)
	note := func(raw string) {
		if !isLocal(raw) {
			mu.Lock()
			foreign = append(foreign, raw)
			mu.Unlock()
		}
	}
	// Listen, not Events: the callback sees each event before the command that caused
	// it returns, so the list is complete as soon as a navigation is.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			note(ev.Request.URL)
		case *network.EventWebSocketCreated:
			note(ev.URL)
		}
	})
	if err != nil {
		return nil, err
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), foreign...)
	}, nil
}

// isLocal reports whether a URL the page asked for stays on this machine.
func isLocal(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// RequireNoConsoleErrors fails the test, when it ends, if the page in the tab logged an
// error: a resource that failed to load, something the Content-Security-Policy blocked
// (an inline style or script, a foreign font), an uncaught JavaScript exception, or a
// console.error. Such errors leave a page looking fine in a test while part of it does
// not work. Call it before the tab navigates.
//
// A page that is itself answered with a 4xx status (a form shown again with its errors,
// a "not found" page) is not an error of the page: Chromium logs it as a failed load, but
// the status is the test's to check. A 5xx page still counts.
func (b *Browser) RequireNoConsoleErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	logged, err := watchConsole(ctx)
	if err != nil {
		t.Fatalf("watch the tab's console: %v", err)
	}
	t.Cleanup(func() {
		if errs := logged(); len(errs) > 0 {
			t.Errorf("the page logged %d errors:\n  %s", len(errs), strings.Join(errs, "\n  "))
		}
	})
}

// watchConsole records, from now on, the errors the tab logs, and returns a func that
// lists them.
func watchConsole(ctx context.Context) (func() []string, error) {
	var (
		mu     sync.Mutex
		errors []string
		// documents holds the status of each page (not its resources) the tab loaded.
		documents = map[network.RequestID]int64{}
	)
	note := func(format string, args ...any) {
		mu.Lock()
		errors = append(errors, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventResponseReceived:
			if ev.Type == network.ResourceTypeDocument && ev.Response != nil {
				mu.Lock()
				documents[ev.RequestID] = ev.Response.Status
				mu.Unlock()
			}
		case *log.EventEntryAdded:
			e := ev.Entry
			// Chromium asks every site for /favicon.ico by itself; a page that links
			// no icon is not at fault.
			if e.Level != log.EntryLevelError || (e.Source == log.EntrySourceNetwork && isFavicon(e.URL)) {
				return
			}
			if e.Source == log.EntrySourceNetwork && e.NetworkRequestID != "" {
				mu.Lock()
				status, page := documents[e.NetworkRequestID]
				mu.Unlock()
				if page && status >= 400 && status < 500 {
					return
				}
			}
			note("%s: %s (%s)", e.Source, e.Text, e.URL)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			note("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1)
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			var args []string
			for _, a := range ev.Args {
				var text string
				switch {
				case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &text) == nil:
				case a.Description != "":
					text = a.Description // objects and errors
				default:
					text = string(a.Value) // numbers, booleans, null
				}
				args = append(args, text)
			}
			note("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	})
	if err != nil {
		return nil, err
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errors...)
	}, nil
}

// isFavicon reports whether a URL is the icon Chromium asks for on its own.
func isFavicon(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Path == "/favicon.ico"
}

// Screenshot saves a PNG of the whole page, beyond the window's height, once its web
// fonts have loaded (Bootstrap Italia swaps them in late). Look at it to check a layout
// by eye; tests should not compare images.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	const fontsLoaded = `document.fonts.ready.then(() => true)`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fontsLoaded, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("screenshot %s: wait for the fonts: %v", path, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
}

// testLog sends chromedp's errors to the test's log while the test runs. Past the end
// of the test, logging to t panics, and the browser's last events can come late.
type testLog struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (l *testLog) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Logf("chromium: "+format, args...)
	}
}

func (l *testLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
}
