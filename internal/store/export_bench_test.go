package store

// The store's row scanning, for BenchmarkMonitoringAtAMillionCases (package store_test):
// its hand-written lists and inbox decode their rows with the same functions the store
// uses, so that the two timings differ by the database's work only.
var (
	ScanSummaryForBench  = scanSummary
	ScanTaskItemForBench = scanTaskItem
)
