// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title ERC-8004 Identity Registry (Trustless Agents, spec text of 2026-01-25)
/// @notice An ERC-721 whose token id is the agent id and whose token URI is the agent URI (the
/// agent's registration file). Each agent has a key/bytes metadata map; the key `agentWallet` is
/// reserved: it changes only through `setAgentWallet` (with the new wallet's signature) and
/// `unsetAgentWallet`.
/// @dev Agent ids start at 0 and are never reused. Every function taking an `agentId` of an agent
/// that does not exist reverts with OpenZeppelin's `ERC721NonexistentToken`.
interface IIdentityRegistry is IERC721 {
    /// @notice One metadata entry given at registration.
    /// @dev `metadataKey` may not be `agentWallet` (`ReservedMetadataKey`).
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    // ------------------------------------------------------------------ events

    /// @notice A new agent was minted to `owner`.
    /// @param agentId The new agent's id (its ERC-721 token id).
    /// @param agentURI The agent URI it was registered with (empty when none was given).
    /// @param owner The caller, who owns the new agent.
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    /// @notice The agent URI of `agentId` changed.
    /// @param agentId The agent whose URI changed.
    /// @param newURI The new agent URI.
    /// @param updatedBy The owner or operator who changed it.
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);
    /// @notice A metadata entry of `agentId` was written (also the reserved `agentWallet`).
    /// @param agentId The agent whose metadata changed.
    /// @param indexedMetadataKey The key again, indexed (topics hold its keccak256).
    /// @param metadataKey The key.
    /// @param metadataValue The new value (empty bytes clear the entry).
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );

    // ------------------------------------------------------------------ errors

    /// @notice The caller is neither the owner of `agentId` nor an operator approved for it.
    /// @param caller The refused caller.
    /// @param agentId The agent it tried to change.
    error NotAgentOperator(address caller, uint256 agentId);
    /// @notice `agentWallet` may only be changed through `setAgentWallet` / `unsetAgentWallet`.
    /// @param metadataKey The reserved key the caller tried to write.
    error ReservedMetadataKey(string metadataKey);
    /// @notice The zero address cannot be an agent wallet (use `unsetAgentWallet` to clear it).
    error ZeroWallet();
    /// @notice The wallet signature's deadline has passed.
    /// @param deadline The signed deadline.
    /// @param blockTimestamp The current block's timestamp.
    error SignatureExpired(uint256 deadline, uint256 blockTimestamp);
    /// @notice The wallet signature's deadline is further ahead than the registry accepts.
    /// @param deadline The signed deadline.
    /// @param latestAccepted The latest deadline accepted in this block.
    error DeadlineTooFar(uint256 deadline, uint256 latestAccepted);
    /// @notice The signature is not `newWallet`'s (neither ECDSA nor ERC-1271) over the digest.
    /// @param newWallet The wallet that should have signed.
    error InvalidWalletSignature(address newWallet);
    /// @notice This wallet signature was used before: each one sets a wallet once.
    /// @param digest The EIP-712 digest already consumed.
    error SignatureAlreadyUsed(bytes32 digest);

    // ------------------------------------------------------------------ registration

    /// @notice Register a new agent without an agent URI, owned by the caller.
    /// @dev Its `agentWallet` starts as the caller; a contract caller must accept ERC-721 tokens.
    /// @return agentId The new agent's id.
    function register() external returns (uint256 agentId);

    /// @notice Register a new agent with `agentURI`, owned by the caller.
    /// @dev Its `agentWallet` starts as the caller; a contract caller must accept ERC-721 tokens.
    /// @param agentURI The agent URI (the registration file's address).
    /// @return agentId The new agent's id.
    function register(string calldata agentURI) external returns (uint256 agentId);

    /// @notice Register a new agent with `agentURI` and initial metadata, owned by the caller.
    /// @dev Reverts `ReservedMetadataKey` if an entry's key is `agentWallet`.
    /// @param agentURI The agent URI (the registration file's address).
    /// @param metadata Metadata entries written after the reserved `agentWallet`.
    /// @return agentId The new agent's id.
    function register(string calldata agentURI, MetadataEntry[] calldata metadata) external returns (uint256 agentId);

    /// @notice Change the agent URI of `agentId` (owner or approved operator only).
    /// @param agentId The agent to change.
    /// @param newURI Its new agent URI.
    function setAgentURI(uint256 agentId, string calldata newURI) external;

    // ------------------------------------------------------------------ metadata

    /// @notice The metadata value of `agentId` under `metadataKey` (empty when unset).
    /// @param agentId The agent to read.
    /// @param metadataKey The key to read.
    /// @return The stored value.
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory);

    /// @notice Write one metadata entry of `agentId` (owner or approved operator only).
    /// @dev Reverts `ReservedMetadataKey` for `agentWallet`.
    /// @param agentId The agent to change.
    /// @param metadataKey The key to write.
    /// @param metadataValue The value to store.
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external;

    // ------------------------------------------------------------------ agent wallet

    /// @notice The verified wallet of `agentId`, or the zero address when none is set.
    /// @param agentId The agent to read.
    /// @return The agent's wallet.
    function getAgentWallet(uint256 agentId) external view returns (address);

    /// @notice Set the wallet of `agentId` (owner or approved operator only), proven by the new
    /// wallet's EIP-712 (EOA) or ERC-1271 (contract) signature.
    /// @dev The signature is valid until `deadline`, which may be at most a few minutes ahead, and
    /// works once. A transfer of the agent clears the wallet.
    /// @param agentId The agent to change.
    /// @param newWallet The wallet that signed.
    /// @param deadline The last timestamp the signature is valid at.
    /// @param signature `newWallet`'s signature over the registry's EIP-712 digest.
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external;

    /// @notice Clear the wallet of `agentId` (owner or approved operator only).
    /// @param agentId The agent to change.
    function unsetAgentWallet(uint256 agentId) external;

    // ------------------------------------------------------------------ authorisation

    /// @notice Whether `spender` is the owner of `agentId` or an operator approved for it.
    /// @dev Reverts with `ERC721NonexistentToken` for an unknown agent.
    /// @param spender The address to check.
    /// @param agentId The agent to check it against.
    /// @return True when `spender` may act for the agent.
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);

    /// @notice Number of agents registered so far (agent ids are 0 .. totalAgents()-1).
    /// @return The number of agents.
    function totalAgents() external view returns (uint256);
}
