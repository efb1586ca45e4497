// Drag-and-drop upload with a progress bar; the API answers with the upload's id.
(function () {
  const zone = document.getElementById("dropzone");
  if (!zone) return;
  const input = document.getElementById("file");
  const bar = document.getElementById("progress");
  const note = document.getElementById("upload-note");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  function send(file) {
    const form = new FormData();
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/uploads");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.hidden = false; bar.value = e.loaded / e.total; } };
    xhr.onload = function () {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202 && body.id) { window.location = "/uploads/" + body.id; return; }
      bar.hidden = true;
      note.textContent = (body.error && body.error.message) || ("upload failed (" + xhr.status + ")");
      note.className = "error";
    };
    xhr.onerror = function () { note.textContent = "the upload was interrupted: try again"; note.className = "error"; };
    note.textContent = "uploading " + file.name + " …"; note.className = "muted";
    xhr.send(form);
  }
  zone.addEventListener("click", function () { input.click(); });
  input.addEventListener("change", function () { if (input.files.length) send(input.files[0]); });
  zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault(); zone.classList.remove("over");
    if (e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
  });
})();
// htmx requests carry the CSRF token too.
document.addEventListener("htmx:configRequest", function (e) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) e.detail.headers["X-CSRF-Token"] = meta.content;
});
