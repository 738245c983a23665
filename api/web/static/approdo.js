// Approdo's own script. Pages load it before Bootstrap Italia's bundle.
//
// The bundle includes video.js, which on load adds an inline <style> for its players. Our
// Content-Security-Policy blocks inline styles, so every page would log a CSP error for
// nothing: Approdo shows no video. This asks video.js not to add it.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
