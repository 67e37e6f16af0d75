/* The 获取验证码 button: after a code went out it stays disabled for the resend interval, counting down. */
document.querySelectorAll("button[data-code-wait]").forEach(function (button) {
  var left = parseInt(button.dataset.codeWait, 10) || 0;
  if (left <= 0) {
    return;
  }
  var label = button.textContent;
  function tick() {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = label + "（" + left + "）";
    left -= 1;
    window.setTimeout(tick, 1000);
  }
  tick();
});
