/* Irreversible actions ask first: a submit button with data-confirm="question" sends its form only after OK. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
