using PttmHooks.Service.Cards;

namespace PttmHooks.Service.Tests.Cards;

/// <summary>Card ids: deterministic in the evidence set, distinct across patients and recommendations.</summary>
public sealed class CardIdsTests
{
    private static readonly string[] s_evidence = ["Observation/o1", "DiagnosticReport/r2", "Condition/c3"];

    private readonly CardIds _ids = new("pttm-hooks-card-ids");

    [Fact]
    public void Card_id_is_the_same_for_the_same_evidence_in_any_order()
    {
        var first = _ids.Card("p1", "lung-perfusion-scan", s_evidence);

        Assert.Equal(first, _ids.Card("p1", "lung-perfusion-scan", Enumerable.Reverse(s_evidence)));
        Assert.Equal(first, _ids.Card("p1", "lung-perfusion-scan", ["DiagnosticReport/r2", "Condition/c3", "Observation/o1"]));
        Assert.True(_ids.IsIssued(first.ToString("D")));
    }

    [Fact]
    public void Card_id_differs_for_another_patient()
    {
        Assert.NotEqual(_ids.Card("p1", "lung-perfusion-scan", s_evidence), _ids.Card("p2", "lung-perfusion-scan", s_evidence));
    }

    [Fact]
    public void Card_id_differs_for_another_recommendation()
    {
        Assert.NotEqual(_ids.Card("p1", "lung-perfusion-scan", s_evidence), _ids.Card("p1", "wedged-pa-cytology", s_evidence));
    }

    [Fact]
    public void Card_id_differs_for_other_evidence()
    {
        Assert.NotEqual(_ids.Card("p1", "lung-perfusion-scan", s_evidence), _ids.Card("p1", "lung-perfusion-scan", s_evidence[..2]));
    }

    [Fact]
    public void Ids_are_RFC_9562_version_8_uuids()
    {
        var card = _ids.Card("p1", "lung-perfusion-scan", s_evidence);
        var suggestion = _ids.Suggestion(card, 0);

        Assert.Equal(8, card.Version);
        Assert.Equal(8, suggestion.Version);
        Assert.True(_ids.IsIssued(suggestion.ToString("D")));
        Assert.NotEqual(card, suggestion);
    }

    [Fact]
    public void Ids_made_with_another_key_are_not_issued()
    {
        var other = new CardIds("another-deployment-key");
        var card = other.Card("p1", "lung-perfusion-scan", s_evidence);

        Assert.False(_ids.IsIssued(card.ToString("D")));
        Assert.False(_ids.IsIssued(Guid.NewGuid().ToString("D")));
    }
}
