// Prints jest's totals as one plain closing line ("N passed, N failed, N skipped")
// so CI can read the result whatever runner it knows.
const { readFileSync } = require('node:fs');
const file = process.argv[2];
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`test-summary: cannot read ${file}: ${error.message}`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
if (results.numRuntimeErrorTestSuites > 0) {
  console.log(`${results.numRuntimeErrorTestSuites} test suite(s) failed to run`);
}
console.log(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
