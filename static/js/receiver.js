// "Send a sample POST": what the app's registration service would send.
const button = document.getElementById("send-sample");
const out = document.getElementById("sample-result");
const link = document.getElementById("sample-capture");

function sampleDeviceId() {
  // One stable made-up device per browser, so repeated samples update one device.
  let id = localStorage.getItem("pushlab.sampleDevice");
  if (!id) {
    id = crypto.randomUUID ? crypto.randomUUID() : "1a2b3c4d-0000-4000-8000-" + String(Date.now()).slice(-12).padStart(12, "0");
    localStorage.setItem("pushlab.sampleDevice", id);
  }
  return id;
}

// A link to the capture the sample made, so the whole loop is one click.
// The receiver answers before it stores a capture (unless the site is set to
// confirm the write): then the capture is named by its key, not yet its id.
function showCaptureLink(data) {
  if (!link) return;
  const id = data.capture_id;
  if (Number.isSafeInteger(id) && id >= 1) {
    link.href = `/inspector/${id}`;
    link.textContent = `Open capture #${id} in the inspector`;
  } else if (typeof data.capture_key === "string" && /^[0-9a-f]{32}$/.test(data.capture_key)) {
    link.href = `/inspector/key/${data.capture_key}`;
    link.textContent = "Open this capture in the inspector";
  } else {
    link.hidden = true;
    return;
  }
  link.hidden = false;
}

button?.addEventListener("click", async () => {
  const payload = {
    platform: "ios", publicKey: "", appId: "io.example.app", appVersion: "1.0.0", appBuild: "12",
    distribution: "appstore", language: navigator.language || "en", os: "iOS", osVersion: "17.4",
    model: "iPhone", timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, hardware: "iPhone14,2",
    installationId: "sample-installation", deviceName: "iPhone", isFirstLaunch: false, carrierNames: [],
    oneSignalUserId: sampleDeviceId(), oneSignalPushToken: "7f9e0sample", oneSignalSubscribed: true,
    oneSignalRequiresUserPrivacyConsent: false, customData_source: "sample-button",
  };
  button.disabled = true;
  try {
    const response = await fetch(button.dataset.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
    });
    const data = await response.json();
    out.hidden = false;
    out.textContent = `HTTP ${response.status}\n` + JSON.stringify(data, null, 2);
    showCaptureLink(data);
  } catch (error) {
    out.hidden = false;
    out.textContent = "The request failed: " + error;
  } finally {
    button.disabled = false;
  }
});
