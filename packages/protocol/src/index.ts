export { KabarError, isKabarError, errorCodeName, type KabarErrorOptions } from "./errors.js";
export { ErrorCode, Error as WireError, RecipientsMismatch } from "./gen/kabar/v1/errors.pb.js";
export {
  DeviceCertificateBody, DeviceCertificate, DeviceListBody, SignedDeviceList, SignedPreKey, KemPreKey,
  OneTimePreKey, PreKeyBundle, LinkingPayload,
} from "./gen/kabar/v1/identity.pb.js";
export { PairwiseMessage, PreKeyMessage, RatchetMessage, SenderKeyMessage, SenderKeyDistribution } from "./gen/kabar/v1/envelope.pb.js";
