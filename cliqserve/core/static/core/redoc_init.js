/* Starts Redoc on the schema named by this script's tag. Redoc adds its styles as <style>
   elements: they carry the nonce of this tag (the page's CSP nonce), or the CSP refuses them. */
(function () {
  "use strict";
  var script = document.currentScript;
  window.Redoc.init(
    script.dataset.schemaUrl,
    { nonce: script.nonce },
    document.getElementById("redoc-container")
  );
})();
