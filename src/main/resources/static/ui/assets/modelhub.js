// Modelhub dashboard: small behaviours on top of server-rendered pages.
(function () {
  "use strict";

  function csrf() {
    var header = document.querySelector("meta[name=csrf-header]");
    var token = document.querySelector("meta[name=csrf-token]");
    return header && token ? { header: header.content, token: token.content } : null;
  }

  // htmx requests carry the CSRF token like forms do.
  document.addEventListener("htmx:configRequest", function (event) {
    var c = csrf();
    if (c) { event.detail.headers[c.header] = c.token; }
  });

  // Problems (RFC 9457) in words: the detail says what to fix.
  function problemText(xhr) {
    try {
      var problem = JSON.parse(xhr.responseText);
      return (problem.title ? problem.title + ": " : "") + (problem.detail || "");
    } catch (e) {
      return "The server answered " + xhr.status + ".";
    }
  }

  function tagsOf(text) {
    var tags = {};
    (text || "").split(/\r?\n/).forEach(function (line) {
      var eq = line.indexOf("=");
      if (line.trim() && eq > 0) { tags[line.slice(0, eq).trim()] = line.slice(eq + 1).trim(); }
    });
    return tags;
  }

  // Uploads stream the file from disk (XMLHttpRequest sends a File without reading it into
  // memory) and show progress; the API's answer decides where to go next.
  function setUpUpload(form) {
    var progress = form.querySelector("#upload-progress");
    var status = form.querySelector("#upload-status");
    var error = form.querySelector("#upload-error");
    var button = form.querySelector("#upload-button");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      var file = form.querySelector("#file").files[0];
      if (!file) { return; }
      var body = new FormData();
      var url;
      var model;
      if (form.id === "dataset-form") {
        model = form.dataset.model;
        url = form.dataset.action + "?name=" + encodeURIComponent(form.querySelector("#dataset-name").value);
        body.append("file", file, file.name);
      } else {
        model = form.querySelector("#model-name").value.trim();
        url = form.dataset.action + encodeURIComponent(model) + "/versions?filename=" + encodeURIComponent(file.name);
        var metadata = {};
        var description = form.querySelector("#description").value.trim();
        var tags = tagsOf(form.querySelector("#tags").value);
        var signature = form.querySelector("#signature").value.trim();
        if (description) { metadata.description = description; }
        if (Object.keys(tags).length) { metadata.tags = tags; }
        if (signature) {
          try { metadata.signature = JSON.parse(signature); } catch (e) {
            error.textContent = "The signature is not valid JSON: " + e.message;
            error.hidden = false;
            return;
          }
        }
        // metadata first: the server reads it before it streams the file
        body.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
        body.append("file", file, file.name);
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      var c = csrf();
      if (c) { xhr.setRequestHeader(c.header, c.token); }
      xhr.setRequestHeader("Accept", "application/json");
      progress.hidden = false;
      progress.value = 0;
      button.disabled = true;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          progress.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "Sent " + Math.round(e.loaded / 1048576) + " of " + Math.round(e.total / 1048576) + " MB";
        }
      };
      xhr.upload.onload = function () { status.textContent = "Checking the file…"; };
      xhr.onload = function () {
        button.disabled = false;
        if (xhr.status === 201) {
          var created = JSON.parse(xhr.responseText);
          status.textContent = "Done.";
          window.location = created.version
            ? "/ui/models/" + encodeURIComponent(model) + "/versions/" + created.version
            : "/ui/models/" + encodeURIComponent(model) + "/datasets/new";
        } else {
          progress.hidden = true;
          status.textContent = "";
          error.textContent = problemText(xhr);
          error.hidden = false;
        }
      };
      xhr.onerror = function () {
        button.disabled = false;
        error.textContent = "The upload was interrupted; check the connection and try again.";
        error.hidden = false;
      };
      xhr.send(body);
    });
  }

  // The optimize form shows the chosen pass's parameters as fields with their defaults (or as
  // JSON, for those who prefer it); the API checks them either way and a refusal comes back inline.
  function setUpOptimize(form) {
    var pass = form.querySelector("#pass");
    var params = form.querySelector("#params");
    var raw = form.querySelector("#params-raw");
    var fields = form.querySelector("#param-fields");
    var separate = { dataset: true, maxAccuracyDrop: true }; // fields of their own below

    function field(key, value) {
      var id = "param-" + key;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = key;
      var input = document.createElement("input");
      input.id = id;
      input.dataset.key = key;
      if (typeof value === "boolean") {
        input.type = "checkbox";
        input.checked = value;
        input.dataset.kind = "boolean";
      } else if (typeof value === "number") {
        input.type = "number";
        input.step = "any";
        input.value = String(value);
        input.dataset.kind = "number";
      } else if (Array.isArray(value)) {
        input.value = value.join(", ");
        input.placeholder = "comma-separated";
        input.dataset.kind = "list";
      } else {
        input.value = value == null ? "" : String(value);
        input.dataset.kind = "text";
      }
      fields.appendChild(label);
      fields.appendChild(input);
    }

    function show() {
      var option = pass.options[pass.selectedIndex];
      if (!option) { return; }
      params.value = option.dataset.defaults;
      fields.textContent = "";
      var values = {};
      try { values = JSON.parse(option.dataset.defaults); } catch (e) { raw.open = true; return; }
      Object.keys(values).forEach(function (key) {
        if (!separate[key]) { field(key, values[key]); }
      });
    }

    form.addEventListener("submit", function () {
      if (raw.open) { return; } // the JSON as typed
      var out = {};
      fields.querySelectorAll("input[data-key]").forEach(function (input) {
        var key = input.dataset.key;
        var kind = input.dataset.kind;
        if (kind === "boolean") {
          out[key] = input.checked;
        } else if (kind === "number") {
          if (input.value !== "") { out[key] = Number(input.value); }
        } else if (kind === "list") {
          out[key] = input.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
        } else if (input.value !== "") {
          out[key] = input.value;
        }
      });
      params.value = JSON.stringify(out);
    });
    pass.addEventListener("change", show);
    show();
  }

  // Ticking two versions compares them.
  function setUpCompare(form) {
    form.addEventListener("submit", function (event) {
      var picked = Array.prototype.map.call(form.querySelectorAll("input[name=pick]:checked"), function (c) { return c.value; });
      if (picked.length !== 2) {
        event.preventDefault();
        alert("Tick exactly two versions to compare.");
        return;
      }
      form.querySelector("#compare-a").value = picked[0];
      form.querySelector("#compare-b").value = picked[1];
      form.querySelectorAll("input[name=pick]").forEach(function (c) { c.disabled = true; });
    });
  }

  function setUpChart(canvas) {
    if (!window.Chart) { return; }
    var labels = canvas.dataset.labels ? canvas.dataset.labels.split("|") : [];
    var ratios = canvas.dataset.ratios ? canvas.dataset.ratios.split("|").map(Number) : [];
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "parent", data: labels.map(function () { return 1; }), backgroundColor: "#b8c0cc" },
        { label: "variant", data: ratios, backgroundColor: "#1f5fbf" }] },
      options: { indexAxis: "y", animation: false, scales: { x: { beginAtZero: true } } }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Forms that change something a person should think twice about ask first.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("form[data-upload]").forEach(setUpUpload);
    var optimize = document.getElementById("optimize-form");
    if (optimize) { setUpOptimize(optimize); }
    var compare = document.getElementById("compare-form");
    if (compare) { setUpCompare(compare); }
    window.addEventListener("load", function () {
      var chart = document.getElementById("report-chart");
      if (chart) { setUpChart(chart); }
    });
  });
})();
