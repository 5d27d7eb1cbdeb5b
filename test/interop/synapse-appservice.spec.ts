import { federatedAppserviceSuite } from '../support/federated-appservice-suite';
import { startSynapsePeer } from '../support/federation-peer';

/** An application service here, in a room with users of a real Synapse. */
federatedAppserviceSuite({ name: 'Synapse', start: startSynapsePeer });
