// Loaded first, as a classic script, on every page: the app calls these globals
// after each page load, possibly before the page's modules have run. They keep
// the last info and announce it; the modules listen for the event.
(function () {
  var store = (window.__pushlabInfo = window.__pushlabInfo || { last: null, source: null });
  function receiver(source) {
    return function (info) {
      store.last = info;
      store.source = source;
      window.dispatchEvent(new CustomEvent("pushlab:onesignal-info", { detail: { info: info, source: source } }));
    };
  }
  window.gonative_onesignal_info = receiver("gonative_onesignal_info callback");
  window.median_onesignal_info = receiver("median_onesignal_info callback");
  function ready() {
    window.__pushlabLibraryReady = true;
    window.dispatchEvent(new CustomEvent("pushlab:library-ready"));
  }
  window.gonative_library_ready = ready;
  window.median_library_ready = ready;
})();
