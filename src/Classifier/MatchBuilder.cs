using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>Builds a <see cref="Match"/> field by field (the parser uses it; so can code and tests).</summary>
public sealed class MatchBuilder
{
    private FlowKey _value;
    private FlowKey _mask;

    public MatchBuilder()
    {
    }

    public MatchBuilder(Match start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _value = start.Value;
        _mask = start.Mask;
    }

    /// <summary>Matches <paramref name="field"/> against <paramref name="value"/> under <paramref name="mask"/> (all ones when null), replacing any earlier constraint on it.</summary>
    public MatchBuilder Set(FieldInfo field, UInt128 value, UInt128? mask = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        UInt128 m = (mask ?? field.FullMask) & field.FullMask;
        FieldRegistry.Write(ref _mask, field, m);
        FieldRegistry.Write(ref _value, field, value & m);
        if (field.Id is >= FieldId.TunMetadata0 and <= FieldId.TunMetadata7)
        {
            // Any match on tun_metadataN, even 0/0 (ovs-ofctl's bare "tun_metadata0"), also matches
            // the option's presence, as OVS's tun_metadata_set_match sets its bit of the present map.
            uint present = 1u << (field.Id - FieldId.TunMetadata0);
            _mask.TunMetadataPresent |= present;
            _value.TunMetadataPresent |= present;
        }
        return this;
    }

    public MatchBuilder Set(FieldId id, UInt128 value, UInt128? mask = null) => Set(FieldRegistry.Get(id), value, mask);

    /// <summary>Parses the value text as flow syntax does (<c>10.0.0.0/8</c>, <c>+trk</c>, ...).</summary>
    public MatchBuilder Set(string fieldName, string valueText, IPortMap? ports = null)
    {
        if (!FieldRegistry.TryGet(fieldName, out FieldInfo? f))
            throw new ArgumentException(FieldSyntax.UnknownFieldMessage(fieldName), nameof(fieldName));
        if (!FieldSyntax.TryParseValue(f, valueText, ports, out UInt128 v, out UInt128 m, out string? error))
            throw new ArgumentException(error, nameof(valueText));
        return Set(f, v, m);
    }

    public ref readonly FlowKey Value => ref _value;
    public ref readonly FlowKey Mask => ref _mask;

    public Match Build() => new(in _value, in _mask);
}
