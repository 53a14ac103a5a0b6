using System.Runtime.CompilerServices;
using InSitu.Common;

namespace InSitu.Synthesis;

/// <summary>
/// One simulated Drosophila embryo at developmental time t (1 &lt;= t &lt; 18; stage = floor(t)), seen laterally:
/// anterior at x = -1, posterior at x = +1, ventral at y = -1, dorsal at y = +1 (body coordinates, the ellipse
/// x^2 + y^2 = 1 before shape changes). For any point it gives the embryo's coverage, its tissue density (what an
/// unstained embryo shows) and the stain of the gene expressed in it.
///
/// Morphology follows the stages: pole plasm and syncytial nuclei (1-4), cellular blastoderm (5), ventral and
/// cephalic furrows (6-7), germ band extension onto the dorsal side (7-10, full at 10-11), segmentation grooves
/// (from 11), germ band retraction (12), dorsal closure and head involution (13-15), gut chambers, condensing
/// ventral nerve cord, brain and filled trachea (14-17). Each process runs on its own clock: the embryo's time
/// plus individual jitter, because real embryos of one stage differ and the label is a person's call.
/// </summary>
public sealed class EmbryoModel
{
    /// <summary>Length over height of the embryo (about 500 x 190 um).</summary>
    public const float Aspect = 2.6f;

    private const float BandHead = -2.45f;   // angle where the germ band starts, ventral-anterior
    private const float BandMaxTip = 2.05f;  // angle of the band's tip at full extension, on the dorsal side
    private const int Segments = 14;

    private readonly TermSite[] _sites;
    private readonly AxisPattern _pattern;
    private readonly uint _seed;
    private readonly float _otherX, _otherY, _otherR;
    private readonly float[] _radius = new float[256]; // outline radius by angle (furrows, grooves, head involution)

    // clocks
    private readonly float _tBand, _tGut, _tCns, _tSurface;
    // derived morphology
    private readonly float _extension, _tipAngle, _bandWeight, _grooves, _cephalic, _ventralFurrow, _nuclei, _cellular;
    private readonly float _closure, _involution, _cordEnd, _brain, _cuticle, _gutChambers, _gutTube, _gutPockets;
    private readonly float _poleX, _poleY, _poleSpread;

    public EmbryoModel(float t, IReadOnlyList<TermSite> sites, SeededRandom random, float developmentalJitter = 0.12f)
    {
        T = t;
        _sites = sites.Where(s => s.Strength > 0).ToArray();
        _pattern = _sites.Select(s => s.Pattern).FirstOrDefault(p => p != AxisPattern.None);
        _seed = random.NextUInt();
        _otherX = random.Uniform(-0.6f, 0.6f); _otherY = random.Uniform(-0.5f, 0.5f); _otherR = random.Uniform(0.15f, 0.3f);

        float shared = t + developmentalJitter * random.Normal();
        float Own() => shared + 0.5f * developmentalJitter * random.Normal();
        _tBand = Own(); _tGut = Own(); _tCns = Own(); _tSurface = Own();

        // germ band: extends 7 -> 10.3, stays, retracts 11.9 -> 13.3
        _extension = Ramp(_tBand, 7f, 10.3f) * (1 - Ramp(_tBand, 11.9f, 13.3f));
        _tipAngle = BandMaxTip * _extension;
        _bandWeight = Ramp(_tBand, 6.4f, 7.2f) * (1 - Ramp(_tBand, 13.0f, 13.8f));
        _grooves = Ramp(_tSurface, 10.4f, 12.2f) * (1 - 0.5f * Ramp(_tSurface, 15.5f, 17.5f));
        _cephalic = Ramp(_tSurface, 5.8f, 6.4f) * (1 - Ramp(_tSurface, 8.6f, 10f));
        _ventralFurrow = Ramp(_tSurface, 5.7f, 6.3f) * (1 - Ramp(_tSurface, 7.0f, 8.0f));
        _nuclei = Ramp(_tSurface, 3.2f, 4.3f) * (1 - Ramp(_tSurface, 5.0f, 5.6f));
        _cellular = Ramp(_tSurface, 4.9f, 5.6f) * (1 - Ramp(_tSurface, 6.6f, 7.6f));
        _closure = Ramp(_tSurface, 13.3f, 15.4f);
        _involution = Ramp(_tSurface, 13.6f, 16.2f);
        _cuticle = Ramp(_tSurface, 16.4f, 17.6f);
        _cordEnd = 0.85f - 0.65f * Ramp(_tCns, 13.2f, 17.8f);
        _brain = Ramp(_tCns, 10.5f, 14.5f);
        _gutPockets = Ramp(_tGut, 6.8f, 9f) * (1 - Ramp(_tGut, 12.5f, 13.8f));
        _gutTube = Ramp(_tGut, 12.5f, 14f);
        _gutChambers = Ramp(_tGut, 14.6f, 17.2f);

        // pole cells: at the posterior pole, carried dorsally on the band's tip, then inside as the gonad
        var (tipX, tipY) = (MathF.Cos(_tipAngle), MathF.Sin(_tipAngle));
        float inside = Ramp(_tBand, 10.3f, 13.5f);
        _poleX = Lerp(1.02f * tipX - 0.05f * tipX * Ramp(_tBand, 7f, 8f), 0.45f, inside);
        _poleY = Lerp(1.02f * tipY, 0.22f, inside);
        _poleSpread = Lerp(0.16f, 0.09f, inside);

        for (int i = 0; i < _radius.Length; i++) _radius[i] = Outline(-MathF.PI + (i + 0.5f) * 2 * MathF.PI / _radius.Length);
    }

    public float T { get; }

    /// <summary>Where the gene is expressed: another embryo of the same slide (same gene, another stage) gets the same.</summary>
    public IReadOnlyList<TermSite> Sites => _sites;
    public int Stage => (int)MathF.Floor(T);

    /// <summary>Outline radius at angle a: notches for the furrows, segment grooves and head involution.</summary>
    private float Outline(float a)
    {
        float r = 1;
        r -= 0.07f * _cephalic * Bump(a, 2.62f, 0.035f) + 0.05f * _cephalic * Bump(a, -2.55f, 0.04f);
        r -= 0.03f * _ventralFurrow * Bump(a, -1.57f, 0.9f);
        if (_grooves > 0)
        {
            // grooves along the ventral side (and, while extended, around onto the dorsal side)
            float end = MathF.Max(_tipAngle, 0.2f);
            if (a > -2.3f && a < end)
            {
                float u = (a + 2.3f) / (end + 2.3f) * Segments;
                float f = u - MathF.Floor(u);
                r -= 0.012f * _grooves * Bump(f, 0.5f, 0.08f);
            }
        }
        r -= 0.09f * _involution * Bump(a, 2.95f, 0.12f);       // head involution: dorsal-anterior notch
        r -= 0.05f * _closure * (1 - _closure) * 4 * Bump(a, 1.45f, 0.5f); // dorsal hole during closure
        return r;
    }

    /// <summary>Coverage (0..1), tissue density (0..1) and stain (0..~1.5) at body coordinates (x, y).</summary>
    public (float alpha, float density, float stain) Evaluate(float x, float y, float pixelSize)
    {
        if (!Locate(x, y, pixelSize, out float alpha, out var p) || alpha <= 0) return (0, 0, 0);
        var (density, stain) = Appearance(p);
        return (alpha, density, stain);
    }

    /// <summary>
    /// The geometry of a point: coverage by the embryo (soft over one pixel) and depth below the surface. False
    /// when the point is clearly outside; points just outside still get a location, so appearance can be sampled
    /// there for interpolation.
    /// </summary>
    public bool Locate(float x, float y, float pixelSize, out float alpha, out BodyPoint p)
    {
        float ys = y > 0 ? y / 0.93f : y;     // flatter dorsal side
        ys /= 1 - 0.05f * x;                  // slightly narrower posterior
        float rho = MathF.Sqrt(x * x + ys * ys);
        if (rho > 1.08f)
        {
            alpha = 0;
            p = default;
            return false;
        }
        float a = Atan2(ys, x);
        int bin = (int)((a + MathF.PI) * (_radius.Length / (2 * MathF.PI)));
        float rOut = _radius[Math.Clamp(bin, 0, _radius.Length - 1)];
        float grad = rho > 1e-4f ? MathF.Sqrt(x * x / (Aspect * Aspect) + ys * ys) / rho : 1;
        float depth = (1 - rho / rOut) / MathF.Max(grad, 1e-3f);   // distance to the surface in half-heights
        alpha = Smooth(-pixelSize, pixelSize, depth);
        float q = rho / rOut;
        p = new BodyPoint(x, y, a, MathF.Max(depth, 0), Aspect * x, y, q < 1 ? MathF.Sqrt(1 - q * q) : 0);
        return true;
    }

    /// <summary>Tissue density and stain at a located point.</summary>
    public (float density, float stain) Appearance(in BodyPoint p)
    {
        float band = Band(p, out float along);
        float trunk = Trunk(p, along, band);
        float density = Density(p, band, trunk);
        // stain collects in cells: dense tissue takes up more of it than yolk does
        return (density, Stain(p, band, along, trunk) * (0.55f + 0.9f * density));
    }

    /// <summary>A point in body coordinates with its angle around the centre, depth below the surface (half-heights),
    /// isotropic coordinates (Px = x * aspect) and the embryo's thickness there (1 through the middle, 0 at the outline,
    /// as through an ellipsoid).</summary>
    public readonly record struct BodyPoint(float X, float Y, float Angle, float Depth, float Px, float Py, float Thickness = 1);

    // ---- where things are -------------------------------------------------------------------------------------

    /// <summary>Inside the germ band: its surface (ectoderm) and inner (mesoderm) layers, and position 0..1 along it.</summary>
    private float Band(in BodyPoint p, out float along)
    {
        along = 0;
        if (_bandWeight <= 0) return 0;
        float tip = MathF.Max(_tipAngle, 0.05f);
        if (p.Angle < BandHead || p.Angle > tip + 0.05f) return 0;
        along = (p.Angle - BandHead) / (tip - BandHead);
        float edge = Smooth(tip + 0.04f, tip - 0.04f, p.Angle) * Smooth(BandHead - 0.04f, BandHead + 0.08f, p.Angle);
        return _bandWeight * edge * Smooth(0.36f, 0.28f, p.Depth);
    }

    /// <summary>Position along the trunk's 14 segments (0..1), following the band while it is extended.</summary>
    private float Trunk(in BodyPoint p, float bandAlong, float band)
    {
        float flat = (p.X + 0.5f) / 1.35f;
        if (band <= 0) return flat;
        float onBand = (bandAlong - 0.12f) / 0.86f;
        return Lerp(flat, onBand, _bandWeight);
    }

    private static float Stripes(float u, int count, float sharpness)
    {
        if (u < 0 || u > 1) return 0;
        float c = 0.5f + 0.5f * MathF.Cos(2 * MathF.PI * count * u + MathF.PI);
        return Smooth(sharpness, 1f, c);
    }

    private float Gut(in BodyPoint p)
    {
        float v = 0;
        if (_gutPockets > 0)
        {
            // anterior midgut at the stomodeum; posterior midgut in the pocket at the band's tip
            float tx = MathF.Cos(_tipAngle) * 0.78f, ty = MathF.Sin(_tipAngle) * 0.6f;
            float grow = 0.12f + 0.1f * Ramp(_tGut, 9f, 12f);
            v = MathF.Max(Blob(p, -0.68f + 0.15f * Ramp(_tGut, 10f, 12.5f), -0.2f, grow + 0.05f, 0.3f),
                          Blob(p, tx, ty, grow + 0.04f, 0.32f)) * _gutPockets;
        }
        if (_gutTube > 0)
        {
            float tube = Blob(p, 0.02f, 0.02f, 0.55f, 0.38f);
            if (_gutChambers > 0)
            {
                // constrictions split the midgut into chambers, then it coils
                float chambers = 1 + 3 * _gutChambers;
                float u = (p.X + 0.55f) / 1.1f * chambers;
                float pinch = Bump(u - MathF.Floor(u), 0.0f, 0.12f) + Bump(u - MathF.Floor(u), 1f, 0.12f);
                float coil = 0.12f * _gutChambers * MathF.Sin(9 * p.X + 3 * p.Y);
                tube = Blob(p, 0.02f, 0.02f + coil, 0.55f, 0.38f) * (1 - 0.8f * _gutChambers * Math.Min(pinch, 1));
            }
            v = MathF.Max(v, tube * _gutTube);
        }
        return v;
    }

    private float Cord(in BodyPoint p)
    {
        float v = 0;
        if (_tCns > 12.3f)
        {
            float on = Ramp(_tCns, 12.3f, 13.3f);
            float along = Smooth(-0.55f, -0.45f, p.X) * Smooth(_cordEnd + 0.05f, _cordEnd - 0.05f, p.X);
            float layer = Smooth(0.04f, 0.08f, p.Depth) * Smooth(0.3f, 0.22f, p.Depth) * Smooth(-0.2f, -0.4f, p.Y);
            float ganglia = 0.75f + 0.25f * MathF.Cos(2 * MathF.PI * 11 * (p.X + 0.5f) / (_cordEnd + 0.5f));
            v = on * along * layer * ganglia;
        }
        return v;
    }

    private float Field(Tissue tissue, in BodyPoint p, float band, float bandAlong, float trunk)
    {
        float surface = Smooth(0.14f, 0.08f, p.Depth);
        switch (tissue)
        {
            case Tissue.Whole:
                return 0.6f + 0.4f * Smooth(0.3f, 0.1f, p.Depth);
            case Tissue.Yolk:
                return Smooth(0.12f, 0.25f, p.Depth) * (1 - 0.7f * Ramp(_tGut, 12f, 15f)) *
                       (0.6f + 0.4f * Noise.Dots(p.Px, p.Py, 0.09f, 0.035f, 0.7f, _seed + 11));
            case Tissue.Blastoderm:
                return Smooth(0.16f, 0.1f, p.Depth) * MathF.Max(_cellular, 0.5f * _nuclei);
            case Tissue.PolePlasm:
                return Smooth(0.72f, 0.9f, p.X) * Smooth(0.2f, 0.05f, p.Depth) * (1 - Ramp(_tBand, 3.5f, 5f))
                       + Poles(p) * Ramp(_tBand, 3f, 5f);
            case Tissue.PoleCells:
                return Poles(p);
            case Tissue.Mesoderm:
                {
                    float early = Ramp(_tBand, 4.5f, 5.5f) * (1 - _bandWeight) * Smooth(-0.55f, -0.7f, p.Y) * Smooth(-0.65f, -0.5f, p.X)
                        * Smooth(0.9f, 0.8f, p.X);
                    float inner = band * Smooth(0.07f, 0.12f, p.Depth) * Smooth(0.08f, 0.16f, bandAlong);
                    float late = Ramp(_tBand, 12.5f, 13.5f) * Smooth(0.05f, 0.09f, p.Depth) * Smooth(0.24f, 0.18f, p.Depth)
                        * Smooth(-0.6f, -0.45f, p.X)
                                 * (0.6f + 0.4f * Stripes(trunk, Segments, 0.3f));
                    return MathF.Max(early, MathF.Max(inner, late));
                }
            case Tissue.HeadMesoderm:
                return Ramp(_tBand, 4.5f, 5.5f) * Blob(p, -0.68f, -0.45f, 0.16f, 0.35f) * (1 - 0.6f * Ramp(_tBand, 11f, 13f));
            case Tissue.Midgut:
                return Gut(p) + (1 - _gutPockets) * (1 - _gutTube) * Ramp(_tGut, 4.5f, 5.5f) *
                       MathF.Max(Smooth(0.8f, 0.9f, p.X), Smooth(-0.82f, -0.92f, p.X)) * surface;
            case Tissue.Foregut:
                {
                    if (_tGut < 9.5f) return Ramp(_tGut, 6f, 7f) * Blob(p, -0.9f, -0.25f, 0.08f, 0.3f);
                    float len = Ramp(_tGut, 9.5f, 13f);
                    float shift = 0.15f * _involution;
                    return Tube(p, -0.86f + shift, -0.35f, -0.86f + shift + 0.42f * len, -0.05f, 0.09f);
                }
            case Tissue.Hindgut:
                {
                    if (_tGut < 12.5f) return Ramp(_tGut, 6.5f, 7.5f)
                        * Ring(p, MathF.Cos(_tipAngle) * 0.9f, MathF.Sin(_tipAngle) * 0.75f, 0.1f, 0.22f);
                    return Tube(p, 0.93f, -0.1f, 0.55f, 0.28f, 0.085f) + 0.7f * Tube(p, 0.55f, 0.28f, 0.3f, 0.0f, 0.04f);
                }
            case Tissue.VentralCord:
                {
                    float neuroectoderm = Ramp(_tCns, 5f, 6f) * (1 - _bandWeight) * Smooth(-0.75f, -0.6f, p.Y) * Smooth(-0.15f, -0.3f, p.Y)
                        * Smooth(-0.6f, -0.5f, p.X);
                    float neuroblasts = band * Smooth(0.12f, 0.05f, p.Depth - 0.04f) * Ramp(_tCns, 8f, 9f)
                        * Noise.Dots(p.Px, p.Py, 0.07f, 0.03f, 0.8f, _seed + 5);
                    return MathF.Max(neuroectoderm, MathF.Max(neuroblasts, Cord(p)));
                }
            case Tissue.Brain:
                {
                    float early = Ramp(_tCns, 8f, 9.5f) * (1 - _brain) * Blob(p, -0.78f, 0.15f, 0.14f, 0.4f)
                        * Noise.Dots(p.Px, p.Py, 0.07f, 0.03f, 0.8f, _seed + 6);
                    float lobes = _brain * Blob(p, -0.62f + 0.12f * _involution, 0.22f, 0.13f + 0.04f * _brain, 0.35f);
                    return MathF.Max(early, lobes);
                }
            case Tissue.Midline:
                return MathF.Max(Ramp(_tCns, 5f, 6f) * (1 - Ramp(_tCns, 12.5f, 13.5f)) * Smooth(-0.82f, -0.92f, p.Y)
                    * Smooth(-0.6f, -0.5f, p.X) * surface,
                                 Cord(p) * Smooth(-0.7f, -0.78f, p.Y));
            case Tissue.Ectoderm:
                return Ramp(_tSurface, 4.5f, 5.5f) * surface;
            case Tissue.DorsalEctoderm:
                return Ramp(_tSurface, 4.5f, 5.5f) * surface * Smooth(0.05f, 0.25f, p.Y) * (1 - band) * (1 - Amnioserosa(p));
            case Tissue.VentralEctoderm:
                return Ramp(_tSurface, 4.5f, 5.5f) * surface * MathF.Max(band, (1 - _bandWeight) * Smooth(0.25f, 0.05f, p.Y))
                    * Smooth(-0.65f, -0.5f, p.X);
            case Tissue.HeadEctoderm:
                return Ramp(_tSurface, 4.5f, 5.5f) * Smooth(0.2f, 0.1f, p.Depth) * Smooth(-0.45f, -0.6f, p.X);
            case Tissue.Amnioserosa:
                return Amnioserosa(p) * surface + Ramp(_tSurface, 5f, 6f) * (1 - _bandWeight) * Smooth(0.75f, 0.88f, p.Y) * surface;
            case Tissue.SalivaryGland:
                {
                    if (_tSurface < 10.3f) return 0;
                    if (_tSurface < 12f) return Ramp(_tSurface, 10.3f, 11f) * Blob(p, -0.6f, -0.72f, 0.07f, 0.2f) * surface;
                    float len = Ramp(_tSurface, 12f, 14f);
                    return Tube(p, -0.62f, -0.6f, -0.62f + 0.35f * len, -0.6f + 0.3f * len, 0.07f);
                }
            case Tissue.Trachea:
                {
                    if (_tSurface < 10.3f) return 0;
                    float pits = Stripes(trunk, 10, 0.85f) * Smooth(0.12f, 0.04f, MathF.Abs(p.Depth - 0.15f)) * (band > 0 ? band : 1);
                    float trunkLine = Ramp(_tSurface, 12.5f, 15f) * Smooth(0.06f, 0.02f, MathF.Abs(p.Y - 0.25f))
                        * Smooth(-0.35f, -0.25f, p.X) * Smooth(0.85f, 0.75f, p.X);
                    return MathF.Max(pits * Ramp(_tSurface, 10.3f, 11f) * (1 - 0.5f * Ramp(_tSurface, 13f, 15f)), trunkLine);
                }
            case Tissue.SensoryOrgans:
                return Ramp(_tSurface, 10.5f, 12f) * MathF.Max(
                    Stripes(trunk, Segments, 0.9f) * Smooth(0.15f, 0.05f, p.Depth)
                        * MathF.Max(Smooth(0.08f, 0f, MathF.Abs(p.Y + 0.3f)), Smooth(0.08f, 0f, MathF.Abs(p.Y - 0.35f))),
                    Blob(p, -0.88f, -0.05f, 0.06f, 0.3f));
            case Tissue.SomaticMuscle:
                return Ramp(_tBand, 11f, 13f) * Smooth(0.03f, 0.07f, p.Depth) * Smooth(0.2f, 0.14f, p.Depth) * Smooth(-0.6f, -0.45f, p.X)
                       * Stripes(trunk + 0.08f * p.Y, Segments, 0.55f)
                       + 0.5f * Field(Tissue.Mesoderm, p, band, bandAlong, trunk) * (1 - Ramp(_tBand, 11f, 13f));
            case Tissue.VisceralMuscle:
                return _tGut < 12.5f ? band * Smooth(0.12f, 0.2f, p.Depth) * Ramp(_tGut, 9f, 10f) * Stripes(bandAlong, 11, 0.4f)
                                     : Ring(p, 0.02f, 0.02f, 0.55f, 0.38f);
            case Tissue.FatBody:
                return Ramp(_tBand, 11f, 13f) * Smooth(0.12f, 0.18f, p.Depth) * Smooth(0.35f, 0.28f, p.Depth) * Smooth(-0.2f, -0.05f, p.Y)
                       * Smooth(-0.4f, -0.25f, p.X) * (0.5f + 0.5f * Noise.Dots(p.Px, p.Py, 0.1f, 0.05f, 0.9f, _seed + 7));
            case Tissue.DorsalVessel:
                return Ramp(_tSurface, 13f, 15f) * Smooth(0.75f, 0.85f, p.Y) * Smooth(0.03f, 0.06f, p.Depth) * Smooth(0.14f, 0.1f, p.Depth)
                    * Smooth(-0.3f, -0.15f, p.X);
            case Tissue.Hemocytes:
                {
                    float dots = Noise.Dots(p.Px, p.Py, 0.12f, 0.035f, 0.5f, _seed + 8);
                    float spread = Ramp(_tBand, 10f, 13f);
                    return Ramp(_tBand, 6f, 7f) * dots
                        * MathF.Max(Blob(p, -0.65f, -0.35f, 0.2f, 0.45f), spread * Smooth(0.05f, 0.12f, p.Depth));
                }
            case Tissue.Glands:
                return Ramp(_tSurface, 12f, 13f) * Blob(p, -0.42f, 0.48f, 0.06f, 0.14f);
            case Tissue.Scattered:
                return Noise.Dots(p.Px, p.Py, 0.11f, 0.04f, 0.35f, _seed + 9) * Smooth(0.02f, 0.06f, p.Depth);
            default:
                return Blob(p, _otherX, _otherY, _otherR, _otherR * Aspect * 0.6f);
        }
    }

    private float Poles(in BodyPoint p)
    {
        if (_tBand < 2.8f) return 0;
        float d2 = Sq((p.X - _poleX) * Aspect) + Sq(p.Y - _poleY);
        float cluster = Smooth(_poleSpread * _poleSpread * 1.4f, _poleSpread * _poleSpread * 0.6f, d2);
        return Ramp(_tBand, 2.8f, 3.6f) * cluster * (0.4f + 0.6f * Noise.Dots(p.Px, p.Py, 0.06f, 0.03f, 0.9f, _seed + 4));
    }

    private float Amnioserosa(in BodyPoint p)
    {
        if (_bandWeight > 0 && _tBand < 13.3f)
        {
            // the dorsal strip the extended band leaves free, between head and tip
            if (p.Angle <= _tipAngle || p.Angle > 2.75f) return 0;
            return _bandWeight * Smooth(_tipAngle, _tipAngle + 0.08f, p.Angle) * Smooth(2.75f, 2.6f, p.Angle);
        }
        if (_tSurface < 12.5f) return 0;
        // after retraction it covers the back, then dorsal closure shrinks it to nothing
        float width = 0.65f * (1 - _closure);
        return Smooth(0.72f - 0.2f * (1 - _closure), 0.85f, p.Y) * Smooth(width + 0.05f, width - 0.05f, MathF.Abs(p.X - 0.1f));
    }

    // ---- what an unstained embryo looks like ------------------------------------------------------------------

    private float Density(in BodyPoint p, float band, float trunk)
    {
        // no outline of its own: the rim shows through the relief of the embryo's thickness (see EmbryoRenderer)
        float d = 0.2f;
        float rim = p.Depth < 0.2f ? MathF.Exp(-p.Depth / 0.035f) : 0;
        float yolk = Smooth(0.1f, 0.3f, p.Depth) * (1 - 0.6f * _gutTube);
        if (yolk > 0) d += yolk * 0.06f * (Noise.Value(p.Px, p.Py, 22f, _seed + 1) - 0.5f) - yolk * 0.04f;

        // cleavage: a clear periplasm forms under the surface; pole cells bud off at the posterior pole
        d -= 0.08f * Ramp(_tSurface, 1.8f, 3f) * (1 - Ramp(_tSurface, 4.5f, 5.5f)) * Smooth(0.09f, 0.04f, p.Depth) * (1 - rim);
        d += 0.3f * Poles(p);
        // syncytial nuclei under the surface, then the tall cells of the cellular blastoderm
        if (_nuclei > 0) d += 0.16f * _nuclei * Smooth(0.09f, 0.05f, MathF.Abs(p.Depth - 0.05f))
            * Noise.Dots(p.Px, p.Py, 0.035f, 0.014f, 0.95f, _seed + 2);
        if (_cellular > 0) d += _cellular * Smooth(0.15f, 0.1f, p.Depth) * (0.16f + 0.06f * MathF.Sin(p.Angle * 160));
        if (_ventralFurrow > 0) d += 0.22f * _ventralFurrow * Smooth(0.05f, 0f, MathF.Abs(p.Y + 0.8f)) * Smooth(-0.5f, -0.35f, p.X)
            * Smooth(0.6f, 0.45f, p.X);
        if (_cephalic > 0) d += 0.25f * _cephalic * Smooth(0.03f, 0f, MathF.Abs(p.X + 0.36f - 0.05f * p.Y)) * Smooth(0.5f, 0.2f, p.Depth);

        // germ band: a dense band of cells, its tip clearly bordered against the thin amnioserosa
        d += 0.2f * band;
        d -= 0.1f * Amnioserosa(p) * Smooth(0.25f, 0.05f, p.Depth);
        if (band > 0 && _grooves > 0)
            d += 0.22f * _grooves * band * Smooth(0.35f, 0.9f, Stripes(trunk, Segments, 0f)) * Smooth(0.2f, 0.05f, p.Depth);
        else if (_grooves > 0)
            d += 0.18f * _grooves * Smooth(0.35f, 0.9f, Stripes(trunk, Segments, 0f)) * Smooth(0.18f, 0.04f, p.Depth)
                * Smooth(0.5f, 0.1f, p.Y);

        // later anatomy that shows without stain
        d += 0.2f * Gut(p);
        d += 0.16f * Cord(p);
        if (_brain > 0) d += 0.14f * _brain * Blob(p, -0.62f + 0.12f * _involution, 0.22f, 0.13f + 0.04f * _brain, 0.35f);
        if (_cuticle > 0)
        {
            d += 0.16f * _cuticle * rim;
            d += 0.25f * _cuticle * Smooth(0.04f, 0.01f, MathF.Abs(p.Y - 0.25f)) * Smooth(-0.35f, -0.25f, p.X)
                * Smooth(0.85f, 0.75f, p.X); // air-filled trachea
            d += 0.12f * _cuticle * Stripes(trunk, Segments, 0.8f) * Smooth(-0.5f, -0.7f, p.Y)
                * Smooth(0.08f, 0.02f, p.Depth); // denticle belts
        }
        return Math.Clamp(d, 0, 1);
    }

    // ---- cellular grain ----------------------------------------------------------------------------------------

    /// <summary>
    /// Height of the cellular relief at a point (half-heights, about the size of the grains themselves), the grain
    /// following the stage: yolk granules inside until the gut takes their place; from stage 3 the syncytial nuclei
    /// under the surface, closer together with every division; from 5 the dense small cells of the blastoderm with
    /// the tall columnar cells along the rim; from 7 the finer, less regular cells of the tissues, finer still after
    /// 13; from 16 the cuticle smooths the surface.
    /// </summary>
    public float Grain(in BodyPoint p)
    {
        // cells lie at the surface: seen edge-on near the outline, where the relief is strongest
        float surface = Smooth(0.4f, 0.04f, p.Depth);
        // irregular relief in four octaves, each with about the same slope, so the picture's spectrum falls off as real
        // DIC texture's does
        float g = Noise.Fractal(p.Px, p.Py, _seed) / 14 * (0.55f + 0.45f * surface);
        float cellular = Ramp(_tSurface, 2.8f, 3.8f);
        if (cellular > 0)
        {
            // nuclei halve their spacing over cycles 10-13 (t 3 -> 5), cells then shrink with every tissue division
            float spacing = _tSurface < 5f ? Lerp(0.07f, 0.04f, Ramp(_tSurface, 3f, 5f))
                : Lerp(0.036f, 0.026f, Ramp(_tSurface, 7f, 14f));
            float regular = MathF.Max(_nuclei, _cellular);
            float cells = Noise.Dots(p.Px, p.Py, spacing, spacing * Lerp(0.35f, 0.48f, regular), Lerp(0.7f, 0.95f, regular),
                _seed + 21 + (uint)MathF.Floor(_tSurface));
            g += cellular * (1 - 0.6f * _cuticle) * (0.3f + 0.7f * surface) * (0.5f + 0.5f * regular) * spacing * 0.25f * (cells - 0.35f);
            // the columnar cells of the blastoderm seen edge-on along the rim
            if (_cellular > 0) g += _cellular * 0.004f * Smooth(0.14f, 0.06f, p.Depth) * MathF.Sin(p.Angle * 190);
        }
        return g;
    }

    private float Stain(in BodyPoint p, float band, float along, float trunk)
    {
        if (_sites.Length == 0) return 0;
        float s = 0;
        foreach (var site in _sites) s = MathF.Max(s, site.Strength * Field(site.Tissue, p, band, along, trunk));
        if (_pattern != AxisPattern.None) s *= Pattern(p, trunk);
        return s;
    }

    private float Pattern(in BodyPoint p, float trunk) => _pattern switch
    {
        AxisPattern.PairRule => Stripes(trunk, 7, 0.45f),
        AxisPattern.SegmentPolarity => Stripes(trunk, Segments, 0.7f),
        AxisPattern.GapAnterior => Smooth(0.1f, -0.1f, p.X),
        AxisPattern.GapPosterior => Smooth(0.2f, 0.4f, p.X),
        _ => Smooth(0.25f, 0.15f, MathF.Abs(p.X - 0.05f)),
    };

    // ---- shapes -----------------------------------------------------------------------------------------------

    private static float Blob(in BodyPoint p, float cx, float cy, float rx, float ry)
    {
        float q = Sq((p.X - cx) / rx) + Sq((p.Y - cy) / ry);
        return Smooth(1f, 0.7f, q);
    }

    private static float Ring(in BodyPoint p, float cx, float cy, float rx, float ry)
    {
        float q = MathF.Sqrt(Sq((p.X - cx) / rx) + Sq((p.Y - cy) / ry));
        return Smooth(0.25f, 0.08f, MathF.Abs(q - 1));
    }

    /// <summary>A tube of half-width w (in half-heights) from (x0, y0) to (x1, y1).</summary>
    private static float Tube(in BodyPoint p, float x0, float y0, float x1, float y1, float w)
    {
        float ax = x0 * Aspect, bx = x1 * Aspect, dx = bx - ax, dy = y1 - y0;
        float px = p.Px - ax, py = p.Py - y0;
        float len2 = dx * dx + dy * dy;
        float u = len2 > 0 ? Math.Clamp((px * dx + py * dy) / len2, 0, 1) : 0;
        float d = MathF.Sqrt(Sq(px - u * dx) + Sq(py - u * dy));
        return Smooth(w, w * 0.6f, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sq(float v) => v * v;

    /// <summary>atan2 within 1e-5 radians (a minimax polynomial on [0, 1]); every pixel needs one, and MathF.Atan2 is slow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Atan2(float y, float x)
    {
        float ax = MathF.Abs(x), ay = MathF.Abs(y);
        float hi = MathF.Max(ax, ay);
        if (hi == 0) return 0;
        float t = MathF.Min(ax, ay) / hi, t2 = t * t;
        float r = t * (0.99997726f + t2 * (-0.33262347f + t2 * (0.19354346f + t2 * (-0.11643287f
            + t2 * (0.05265332f - 0.01172120f * t2)))));
        if (ay > ax) r = MathF.PI / 2 - r;
        if (x < 0) r = MathF.PI - r;
        return y < 0 ? -r : r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Lerp(float a, float b, float w) => a + (b - a) * w;

    /// <summary>0 before a, 1 after b, linear between: how far a process has run at time t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Ramp(float t, float a, float b) => t <= a ? 0 : t >= b ? 1 : (t - a) / (b - a);

    /// <summary>Smoothstep from e0 to e1 (either order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Smooth(float e0, float e1, float v)
    {
        float u = Math.Clamp((v - e0) / (e1 - e0), 0, 1);
        return u * u * (3 - 2 * u);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bump(float v, float center, float width) => MathF.Exp(-Sq((v - center) / width));
}
