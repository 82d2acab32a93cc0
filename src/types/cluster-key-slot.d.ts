// cluster-key-slot (the CRC16 slot function ioredis itself routes by) ships no types.
declare module 'cluster-key-slot' {
  /** Redis Cluster hash slot (0-16383) of a key, honouring a {hash tag}. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
