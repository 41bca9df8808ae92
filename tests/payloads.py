"""Registration payloads and device ids shared by the test modules."""

PLAYER = "1a2b3c4d-0000-4000-8000-00000000abcd"
IOS_PAYLOAD = {
    "platform": "ios", "publicKey": "", "appId": "io.example.app", "appVersion": "1.0.0",
    "appBuild": "12", "distribution": "appstore", "language": "en", "os": "iOS",
    "osVersion": "17.4", "model": "iPhone", "timeZone": "America/New_York",
    "hardware": "iPhone14,2", "installationId": "4d1c", "deviceName": "iPhone",
    "isFirstLaunch": False, "carrierNames": [], "oneSignalUserId": PLAYER,
    "oneSignalPushToken": "7f9e", "oneSignalSubscribed": True,
    "oneSignalRequiresUserPrivacyConsent": False, "customData_userId": "42",
}  # fmt: skip
V5_PAYLOAD = {
    "platform": "android", "appId": "io.example.app", "appVersion": "2.0",
    "oneSignalId": "0c1d2e3f-1111-4222-8333-444455556666", "externalId": "user-1",
    "subscription": {"id": "9f8e7d6c-5b4a-4321-8765-0123456789ab", "optedIn": True, "token": "fcm"},
    "requiresUserPrivacyConsent": False, "legacy": False, "someNewKey": {"kept": True},
}  # fmt: skip
