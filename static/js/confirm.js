/* Asks before a destructive or irreversible action.
 *
 * <form data-confirm="…"> or <button type="submit" data-confirm="…">: the text is shown in a confirm dialog and
 * the form is sent only when the user agrees. A form whose message depends on a chosen option (radio group or
 * select) names the field in data-confirm-choice and carries one message per value in data-confirm-<value> (a
 * value without a message is sent without asking). Without JavaScript the forms submit as before: the server-side rules stay
 * the safeguard, this is the second look.
 */
(function () {
  "use strict";

  // data-confirm-<value> as the dataset spells it: data-confirm-approve → confirmApprove.
  function datasetKey(value) {
    var camel = value.replace(/-([a-z])/g, function (_m, c) { return c.toUpperCase(); });
    return "confirm" + camel.charAt(0).toUpperCase() + camel.slice(1);
  }

  function messageFor(form, submitter) {
    if (submitter && submitter.dataset && submitter.dataset.confirm) {
      return submitter.dataset.confirm;
    }
    var group = form.dataset.confirmChoice;
    if (group) {
      // A radio group (RadioNodeList) or a <select>: .value is the chosen option either way.
      var field = form.elements[group];
      var value = field ? field.value : "";
      return value ? form.dataset[datasetKey(value)] || "" : "";
    }
    return form.dataset.confirm || "";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var message = messageFor(form, event.submitter);
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
