namespace InSitu.Synthesis;

/// <summary>The structures of the simulated embryo that stain can be laid onto.</summary>
public enum Tissue
{
    Whole, Yolk, Blastoderm, PolePlasm, PoleCells, Mesoderm, HeadMesoderm, Midgut, Foregut, Hindgut, VentralCord, Brain,
    Midline, Ectoderm, DorsalEctoderm, VentralEctoderm, HeadEctoderm, Amnioserosa, SalivaryGland, Trachea, SensoryOrgans,
    SomaticMuscle, VisceralMuscle, FatBody, DorsalVessel, Hemocytes, Glands, Scattered, Other,
}

/// <summary>How a gene's stain is modulated along the body axis, on top of its tissues.</summary>
public enum AxisPattern { None, PairRule, SegmentPolarity, GapAnterior, GapMiddle, GapPosterior }

/// <summary>Where one CV term stains: a tissue and a relative strength, or an axis pattern.</summary>
public readonly record struct TermSite(Tissue Tissue, float Strength, AxisPattern Pattern = AxisPattern.None);

/// <summary>
/// Maps the BDGP controlled vocabulary onto the simulator's anatomy by keywords, so a simulated image's terms name
/// what is stained in it. The first matching rule wins; the order puts specific words before general ones
/// ("visceral muscle" before "muscle", "sensory" before "nervous system"). Bookkeeping flags stain nothing.
/// </summary>
public static class TermAnatomy
{
    private static readonly (string[] keys, TermSite site)[] Rules =
    {
        (new[] { "flag_", "need new term" }, new TermSite(Tissue.Other, 0f)),
        (new[] { "faint ubiquitous" }, new TermSite(Tissue.Whole, 0.2f)),
        (new[] { "strong ubiquitous" }, new TermSite(Tissue.Whole, 0.8f)),
        (new[] { "ubiquitous" }, new TermSite(Tissue.Whole, 0.45f)),
        (new[] { "rapidly degraded" }, new TermSite(Tissue.Whole, 0.2f)),
        (new[] { "maternal", "fertilized egg" }, new TermSite(Tissue.Whole, 0.45f)),
        (new[] { "yolk" }, new TermSite(Tissue.Yolk, 0.9f)),
        (new[] { "cellular blastoderm" }, new TermSite(Tissue.Blastoderm, 0.9f)),
        (new[] { "pole plasm" }, new TermSite(Tissue.PolePlasm, 1f)),
        (new[] { "pole cell", "germ cell", "gonad" }, new TermSite(Tissue.PoleCells, 1f)),
        (new[] { "pair rule", "pair_rule" }, new TermSite(Tissue.Ectoderm, 0.9f, AxisPattern.PairRule)),
        (new[] { "segment polarity", "segmentally repeated" }, new TermSite(Tissue.Ectoderm, 0.9f, AxisPattern.SegmentPolarity)),
        (new[] { "gap" }, new TermSite(Tissue.Ectoderm, 0.9f, AxisPattern.GapMiddle)),
        (new[] { "subset" }, new TermSite(Tissue.Scattered, 0.8f)),
        (new[] { "salivary" }, new TermSite(Tissue.SalivaryGland, 1f)),
        (new[] { "trache", "spiracle", "dorsal trunk", "visceral branch", "dorsal branch", "segmental branch" },
            new TermSite(Tissue.Trachea, 1f)),
        (new[] { "malpighian", "hindgut", "rectum", "intestine", "anal pad", "proctod" }, new TermSite(Tissue.Hindgut, 1f)),
        (new[] { "visceral muscle", "visceral mesoderm" }, new TermSite(Tissue.VisceralMuscle, 0.9f)),
        (new[] { "cardiac", "dorsal vessel", "pericardial", "circulatory", "lymph gland" }, new TermSite(Tissue.DorsalVessel, 1f)),
        (new[] { "muscle" }, new TermSite(Tissue.SomaticMuscle, 0.9f)),
        (new[] { "foregut", "esophag", "proventric", "pharyn", "stomatogastric", "clypeo", "labr", "atrium", "frontal ganglion",
                 "hypocerebral", "stomod" }, new TermSite(Tissue.Foregut, 1f)),
        (new[] { "head mesoderm" }, new TermSite(Tissue.HeadMesoderm, 1f)),
        (new[] { "mesectoderm", "midline" }, new TermSite(Tissue.Midline, 1f)),
        (new[] { "mesoderm" }, new TermSite(Tissue.Mesoderm, 1f)),
        (new[] { "midgut", "endoderm", "gastric caecum", "interstitial", "cuprophilic" }, new TermSite(Tissue.Midgut, 1f)),
        (new[] { "fat body" }, new TermSite(Tissue.FatBody, 0.9f)),
        (new[] { "plasmatocyte", "crystal cell", "macrophage", "hemocyte" }, new TermSite(Tissue.Hemocytes, 1f)),
        (new[] { "garland", "ring gland", "corpus", "prothoracic gland", "oenocyte" }, new TermSite(Tissue.Glands, 1f)),
        (new[] { "sensory", "sense organ", "antennal", "maxillary", "labial", "bolwig" }, new TermSite(Tissue.SensoryOrgans, 1f)),
        (new[] { "brain", "procephalic neuroblast", "optic lobe", "visual", "mushroom", "pars intercerebralis", "eye",
                 "neurosecretory", "procephalic glio" }, new TermSite(Tissue.Brain, 1f)),
        (new[] { "nerve cord", "lateral cord", "neuroblast", "ganglion", "glioblast", "nervous system", "neuron", "glia" },
            new TermSite(Tissue.VentralCord, 1f)),
        (new[] { "amnioserosa" }, new TermSite(Tissue.Amnioserosa, 1f)),
        (new[] { "dorsal epidermis", "dorsal ectoderm", "leading edge", "dorsal ridge", "dorsal apodeme", "dorsal histoblast",
                 "dorsal imaginal", "dorsal pouch", "disc" }, new TermSite(Tissue.DorsalEctoderm, 0.9f)),
        (new[] { "ventral epidermis", "ventral ectoderm", "ventral apodeme", "ventral imaginal" },
            new TermSite(Tissue.VentralEctoderm, 0.9f)),
        (new[] { "head epidermis", "procephalic ectoderm", "procephalon", "gnathal", "head" }, new TermSite(Tissue.HeadEctoderm, 0.9f)),
        (new[] { "ectoderm", "epidermis", "anlage in statu nascendi" }, new TermSite(Tissue.Ectoderm, 0.8f)),
        (new[] { "anterior" }, new TermSite(Tissue.Ectoderm, 0.8f, AxisPattern.GapAnterior)),
        (new[] { "posterior" }, new TermSite(Tissue.Ectoderm, 0.8f, AxisPattern.GapPosterior)),
        (new[] { "middle" }, new TermSite(Tissue.Ectoderm, 0.8f, AxisPattern.GapMiddle)),
    };

    /// <summary>Where a term stains; terms no rule knows stain a gene-specific region (<see cref="Tissue.Other"/>).</summary>
    public static TermSite Site(string term)
    {
        var t = term.ToLowerInvariant();
        foreach (var (keys, site) in Rules)
            foreach (var k in keys)
                if (t.Contains(k, StringComparison.Ordinal)) return site;
        return new TermSite(Tissue.Other, 0.9f);
    }
}
