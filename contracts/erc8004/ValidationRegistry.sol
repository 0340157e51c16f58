// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.37;

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IValidationRegistry} from "../interfaces/IValidationRegistry.sol";

/// @title ERC-8004 Validation Registry, requests keyed by `(agentId, requestHash)`
/// @notice An agent's owner or operator asks a validator to check some work (`requestHash`
/// commits to it); the validator answers 0..100, as often as it likes (the last answer stands).
/// Each agent has its own namespace of request hashes, so no other agent can take one first.
contract ValidationRegistry is IValidationRegistry {
    uint8 public constant MAX_RESPONSE = 100;

    struct Status {
        address validatorAddress;
        uint8 response;
        bool hasResponse;
        bytes32 responseHash;
        uint256 lastUpdate;
        string tag;
    }

    struct RequestKey {
        uint256 agentId;
        bytes32 requestHash;
    }

    address private immutable _identityRegistry;

    mapping(uint256 agentId => mapping(bytes32 requestHash => Status)) private _status;
    mapping(uint256 agentId => bytes32[]) private _agentValidations;
    mapping(address validator => RequestKey[]) private _validatorRequests;

    constructor(address identityRegistry_) {
        if (identityRegistry_ == address(0)) revert ZeroIdentityRegistry();
        _identityRegistry = identityRegistry_;
    }

    /// @inheritdoc IValidationRegistry
    function getIdentityRegistry() external view returns (address) {
        return _identityRegistry;
    }

    /// @inheritdoc IValidationRegistry
    function validationRequest(
        address validatorAddress,
        uint256 agentId,
        string calldata requestURI,
        bytes32 requestHash
    ) external {
        if (validatorAddress == address(0)) revert ZeroValidator();
        if (requestHash == bytes32(0)) revert ZeroRequestHash();
        if (bytes(requestURI).length == 0) revert EmptyRequestURI();
        // Reverts with ERC721NonexistentToken for an unknown agent.
        if (!IIdentityRegistry(_identityRegistry).isAuthorizedOrOwner(msg.sender, agentId)) {
            revert NotAgentOperator(msg.sender, agentId);
        }
        Status storage s = _status[agentId][requestHash];
        if (s.validatorAddress != address(0)) revert RequestAlreadyExists(agentId, requestHash);
        s.validatorAddress = validatorAddress;
        s.lastUpdate = block.timestamp;
        _agentValidations[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(RequestKey(agentId, requestHash));
        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @inheritdoc IValidationRegistry
    function validationResponse(
        uint256 agentId,
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        Status storage s = _existing(agentId, requestHash);
        if (msg.sender != s.validatorAddress) revert NotValidator(msg.sender, s.validatorAddress);
        if (response > MAX_RESPONSE) revert ResponseOutOfRange(response);
        s.response = response;
        s.hasResponse = true;
        s.responseHash = responseHash;
        s.tag = tag;
        s.lastUpdate = block.timestamp;
        emit ValidationResponse(s.validatorAddress, agentId, requestHash, response, responseURI, responseHash, tag);
    }

    /// @inheritdoc IValidationRegistry
    function getValidationStatus(uint256 agentId, bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId_,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        )
    {
        Status storage s = _existing(agentId, requestHash);
        return (s.validatorAddress, agentId, s.response, s.responseHash, s.tag, s.lastUpdate);
    }

    /// @inheritdoc IValidationRegistry
    function hasResponse(uint256 agentId, bytes32 requestHash) external view returns (bool) {
        return _existing(agentId, requestHash).hasResponse;
    }

    /// @inheritdoc IValidationRegistry
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse)
    {
        bytes32 tagHash = bytes(tag).length == 0 ? bytes32(0) : keccak256(bytes(tag));
        bytes32[] storage hashes = _agentValidations[agentId];
        uint256 total;
        for (uint256 i = 0; i < hashes.length; ++i) {
            Status storage s = _status[agentId][hashes[i]];
            if (!s.hasResponse) continue;
            if (tagHash != bytes32(0) && keccak256(bytes(s.tag)) != tagHash) continue;
            if (validatorAddresses.length > 0 && !_contains(validatorAddresses, s.validatorAddress)) continue;
            total += s.response;
            ++count;
        }
        averageResponse = count == 0 ? 0 : uint8(total / count);
    }

    /// @inheritdoc IValidationRegistry
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory) {
        return _agentValidations[agentId];
    }

    /// @inheritdoc IValidationRegistry
    function getValidatorRequests(address validatorAddress)
        external
        view
        returns (uint256[] memory agentIds, bytes32[] memory requestHashes)
    {
        RequestKey[] storage keys = _validatorRequests[validatorAddress];
        agentIds = new uint256[](keys.length);
        requestHashes = new bytes32[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            (agentIds[i], requestHashes[i]) = (keys[i].agentId, keys[i].requestHash);
        }
    }

    function _existing(uint256 agentId, bytes32 requestHash) private view returns (Status storage s) {
        s = _status[agentId][requestHash];
        if (s.validatorAddress == address(0)) revert UnknownRequest(agentId, requestHash);
    }

    function _contains(address[] calldata list, address item) private pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }
}
