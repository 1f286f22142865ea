/** `@charge-it/plugin-rfid-pn532/cli`: the diagnostic as a function, for `charge-it-edge pn532`. */
export { runPn532Diagnostic, DIAGNOSTIC_HELP, type DiagnosticIo } from './run-diagnostic.js';
