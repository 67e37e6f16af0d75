/* The browser's half of the login check (kexie/login_challenge.py): once a username has failed too often from
   many addresses, the server sends a signed challenge with the form; find the number whose SHA-256 matches it
   and send the answer with the next attempt. Runs only when the page carries a challenge. */
(function () {
  "use strict";

  function hexToBytes(hex) {
    var bytes = new Uint8Array(hex.length / 2);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return bytes;
  }

  function equal(buffer, target) {
    var view = new Uint8Array(buffer);
    for (var i = 0; i < target.length; i++) { if (view[i] !== target[i]) { return false; } }
    return true;
  }

  // Digests are computed in batches so the promises overlap; a batch takes a few milliseconds.
  async function solve(challenge) {
    var encoder = new TextEncoder(), target = hexToBytes(challenge.challenge), batch = 500;
    for (var start = 0; start <= challenge.maxNumber; start += batch) {
      var end = Math.min(start + batch, challenge.maxNumber + 1), jobs = [];
      for (var n = start; n < end; n++) {
        jobs.push(crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n)));
      }
      var digests = await Promise.all(jobs);
      for (var i = 0; i < digests.length; i++) { if (equal(digests[i], target)) { return start + i; } }
    }
    return null;
  }

  function start() {
    var data = document.getElementById("login-check-challenge");
    var password = document.querySelector("form input[name=password]");
    if (!data || !password) { return; }
    var challenge = JSON.parse(data.textContent), form = password.form;
    var status = document.getElementById("login-check-status");
    var answer = form.querySelector("input[name=login_check]");
    if (!answer) {
      answer = document.createElement("input");
      answer.type = "hidden";
      answer.name = "login_check";
      form.appendChild(answer);
    }
    var ready = false;
    form.addEventListener("submit", function (event) {
      if (!ready) { event.preventDefault(); }
    });
    if (!window.crypto || !crypto.subtle) {
      status.textContent = status.dataset.unsupported;
      return;
    }
    status.textContent = status.dataset.working;
    solve(challenge).then(function (number) {
      if (number === null) { status.textContent = status.dataset.failed; return; }
      answer.value = btoa(JSON.stringify({
        algorithm: challenge.algorithm, challenge: challenge.challenge, number: number,
        salt: challenge.salt, signature: challenge.signature
      }));
      ready = true;
      status.textContent = status.dataset.done;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
