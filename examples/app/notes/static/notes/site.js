// Highlights the newest note so a reader sees the page's script was served.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector("#notes li");
  if (first) first.classList.add("new");
});
