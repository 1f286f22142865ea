import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** Status of an IdTag as the CSMS knows it (OCPP AuthorizationStatus minus ConcurrentTx). */
export type IdTagStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid';

/** An RFID card / token known to the CSMS. `idTag` is the OCPP IdToken (≤ 20 chars). */
export const IdTagSchema = defineEntity({
  name: 'IdTag',
  tableName: 'id_tag',
  properties: {
    idTag: p.string().primary().length(20),
    status: p.string().length(16).$type<IdTagStatus>(),
    parentIdTag: p.string().length(20).nullable(),
    expiryDate: p.datetime(3).nullable(),
    ownerName: p.string().length(255).nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p
      .datetime(3)
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

export type IdTag = InferEntity<typeof IdTagSchema>;
