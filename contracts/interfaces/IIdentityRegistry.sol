// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title ERC-8004 Identity Registry (Trustless Agents, spec text of 2026-01-25)
/// @notice An ERC-721 whose token id is the agent id and whose token URI is the agent URI.
interface IIdentityRegistry is IERC721 {
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );

    /// The caller is neither the owner of `agentId` nor an operator approved for it.
    error NotAgentOperator(address caller, uint256 agentId);
    /// `agentWallet` may only be changed through `setAgentWallet` / `unsetAgentWallet`.
    error ReservedMetadataKey(string metadataKey);
    error ZeroWallet();
    error SignatureExpired(uint256 deadline, uint256 blockTimestamp);
    error DeadlineTooFar(uint256 deadline, uint256 latestAccepted);
    error InvalidWalletSignature(address newWallet);
    error SignatureAlreadyUsed(bytes32 digest);

    function register() external returns (uint256 agentId);
    function register(string calldata agentURI) external returns (uint256 agentId);
    function register(string calldata agentURI, MetadataEntry[] calldata metadata)
        external
        returns (uint256 agentId);

    function setAgentURI(uint256 agentId, string calldata newURI) external;

    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory);
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external;

    function getAgentWallet(uint256 agentId) external view returns (address);
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature)
        external;
    function unsetAgentWallet(uint256 agentId) external;

    /// True when `spender` is the owner of `agentId` or an operator approved for it.
    /// Reverts with ERC721NonexistentToken for an unknown agent.
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);

    /// Number of agents registered so far (agent ids are 0 .. totalAgents()-1).
    function totalAgents() external view returns (uint256);
}
