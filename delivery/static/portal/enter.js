// A one-time link's page: post its form at once, so a person needs no click (a link preview runs no script).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("portal-enter");
  if (form) { form.submit(); }
});
