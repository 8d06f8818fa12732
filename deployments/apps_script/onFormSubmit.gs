/**
 * Network Weaver: post each Google Forms response to the webhook receiver (`weaver webhooks`), signed.
 *
 * Google Forms has no webhooks; this installable trigger is ours. It sends
 *   POST <WEAVER_URL>   Content-Type: application/json
 *   X-Weaver-Signature: sha256=<base64 HMAC-SHA256(WEAVER_SECRET, the exact body bytes)>
 *   {"formId", "responseId", "submittedAt", "respondentEmail", "items": [{"id", "title", "type", "value"}], "hidden": {}}
 * The receiver answers 202 (stored), or 200 for a response it already has, so sending twice is harmless.
 *
 * Setup, once per form (the form's owner):
 *  1. In weaver.toml add the form, e.g.
 *       [webhooks.forms.join]
 *       provider = "google_forms"
 *       kind = "join"
 *       secret = { env = "WEAVER_JOIN_FORM_SECRET" }
 *     and give that variable a long random value where `weaver webhooks` runs.
 *  2. Open the form > (three dots) > Apps Script. Replace the editor's contents with this file. Save.
 *  3. Project Settings (gear) > Script properties > add
 *       WEAVER_URL     https://<your receiver>/hooks/join
 *       WEAVER_SECRET  the same value as the variable in step 1
 *  4. Triggers (clock) > Add Trigger > function onFormSubmit, event source "From form",
 *     event type "On form submit" > Save, and allow the permissions it asks for
 *     (see the form's responses; connect to an external service).
 *  5. Submit a test response; the receiver logs "form join: 202 google_forms:<id>".
 *     Responses sent while the receiver was down: run resendAll once from the editor.
 */

var MAX_TRIES = 3;

function onFormSubmit(e) {
  postResponse_(e.source, e.response);
}

/** Send every response of this form again (after an outage): the receiver keeps each only once. */
function resendAll() {
  var form = FormApp.getActiveForm();
  form.getResponses().forEach(function (response) {
    postResponse_(form, response);
  });
}

function postResponse_(form, response) {
  var settings = settings_();
  var body = JSON.stringify({
    formId: form.getId(),
    responseId: response.getId(),
    submittedAt: response.getTimestamp().toISOString(),
    respondentEmail: response.getRespondentEmail() || "",
    items: response.getItemResponses().map(function (answer) {
      var item = answer.getItem();
      return { id: item.getId(), title: item.getTitle(), type: String(item.getType()), value: answer.getResponse() };
    }),
    hidden: {},
  });
  var bytes = Utilities.newBlob(body).getBytes(); // UTF-8: the signature covers exactly the bytes sent
  var digest = Utilities.computeHmacSha256Signature(bytes, Utilities.newBlob(settings.secret).getBytes());
  var options = {
    method: "post",
    contentType: "application/json",
    payload: bytes,
    headers: { "X-Weaver-Signature": "sha256=" + Utilities.base64Encode(digest) },
    muteHttpExceptions: true,
  };
  send_(settings.url, options, response.getId());
}

function send_(url, options, responseId) {
  for (var attempt = 1; attempt <= MAX_TRIES; attempt++) {
    var reply = UrlFetchApp.fetch(url, options);
    var code = reply.getResponseCode();
    if (code === 200 || code === 202) {
      return;
    }
    if (code < 500 && code !== 429) {
      // 401: WEAVER_SECRET differs from the receiver's; 404: the form name in WEAVER_URL; 413/415/400: a bug
      throw new Error("Network Weaver refused response " + responseId + ": HTTP " + code);
    }
    Utilities.sleep(2000 * attempt);
  }
  throw new Error("Network Weaver did not take response " + responseId + "; run resendAll when it is back");
}

function settings_() {
  var props = PropertiesService.getScriptProperties();
  var url = props.getProperty("WEAVER_URL");
  var secret = props.getProperty("WEAVER_SECRET");
  if (!url || !secret) {
    throw new Error("Set the script properties WEAVER_URL and WEAVER_SECRET (Project Settings > Script properties)");
  }
  return { url: url, secret: secret };
}
